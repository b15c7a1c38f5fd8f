"""awslogin: short-lived AWS credentials on machines without a browser.

This package is imported by `awslogin credential-process` on every SDK client start,
so it must stay free of heavy imports: modules pull in httpx or cryptography only
where they need them.
"""

try:
    # Written at build and install from the git tag (pyproject.toml, [tool.setuptools_scm]).
    from awslogin_protocol._version import __version__ as __version__
except ImportError:  # a checkout that was never installed
    __version__ = "0.0.0"
