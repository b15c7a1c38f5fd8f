"""awslogin relay: pairs a browser-side authorization with a host waiting for it."""

try:
    # The distribution's one version, as the CLI reports it (pyproject.toml).
    from awslogin_protocol._version import __version__ as __version__
except ImportError:  # a checkout that was never installed
    __version__ = "0.0.0"
