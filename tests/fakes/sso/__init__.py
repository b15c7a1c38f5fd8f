"""A protocol fake of IAM Identity Center (`sso-oidc` + `sso`) for tests; see server.py."""

from tests.fakes.sso.model import Account, FakeSettings, IssuedRoleCredentials
from tests.fakes.sso.server import SsoFake, run_sso_fake
from tests.fakes.sso.state import s256

__all__ = [
    "Account",
    "FakeSettings",
    "IssuedRoleCredentials",
    "SsoFake",
    "run_sso_fake",
    "s256",
]
