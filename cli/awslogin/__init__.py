"""awslogin: short-lived AWS credentials on machines without a browser.

This package is imported by `awslogin credential-process` on every SDK client start,
so it must stay free of heavy imports: modules pull in httpx or cryptography only
where they need them.
"""

__version__ = "0.1.0"
