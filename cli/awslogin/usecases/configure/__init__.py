"""`awslogin configure`: write a profile for one provider into the AWS config file.

One entry point for every provider, one module per provider:

* `oidc` (configure/oidc.py): the issuer, client and role of an OpenID Connect sign-in,
  and `credential_process`, so every SDK uses the profile;
* `aws-signin` (configure/aws_signin.py): a region and a relay; `login_session` comes
  with the first login, as `aws login` writes it;
* `sso` (configure/sso.py): an sso-session and a profile as `aws configure sso` writes
  them, the account and role chosen from what the person may use (this one signs in).

Every module leaves the file as it was when it fails, and refuses to mix awslogin's keys
into a profile that gets credentials another way.
"""

from __future__ import annotations

from collections.abc import Mapping

from awslogin.adapters.browser import BrowserOpener, open_in_browser
from awslogin.adapters.clock import Clock
from awslogin.adapters.terminal import Terminal
from awslogin.usecases.configure.common import ConfigureOptions

__all__ = ["ConfigureOptions", "configure"]


def configure(
    options: ConfigureOptions,
    environ: Mapping[str, str],
    terminal: Terminal,
    *,
    browser_opener: BrowserOpener = open_in_browser,
    clock: Clock | None = None,
) -> list[str]:
    """Write the profile `options` describe; the lines to print."""
    if options.provider == "aws-signin":
        from awslogin.usecases.configure.aws_signin import configure_aws_signin

        return configure_aws_signin(options, environ, terminal)
    if options.provider == "sso":
        from awslogin.usecases.configure.sso import configure_sso

        return configure_sso(options, environ, terminal, browser_opener=browser_opener, clock=clock)
    from awslogin.usecases.configure.oidc import configure_oidc

    return configure_oidc(options, environ, terminal)
