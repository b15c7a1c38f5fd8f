"""A protocol fake of IAM Identity Center (`sso-oidc` + `sso`) served on 127.0.0.1.

    with run_sso_fake(FakeSettings(device_interval=1)) as fake:
        env = fake.endpoint_env()   # AWS_ENDPOINT_URL_SSO_OIDC / AWS_ENDPOINT_URL_SSO -> base_url
        fake.settings.refresh_allowed = False          # knobs are read at every request
        fake.state.force_device_poll_errors("slow_down", "authorization_pending")
        fake.state.decide_device(user_code, approve=True)   # or drive /device like a person
        fake.calls["CreateToken/refresh_token"]        # counters per operation (and grant)
        fake.calls["CreateToken/slow_down"]            # polls answered slow_down for pace
        hold = fake.hold_next_token_call("refresh_token")   # held until hold.release()
        fake.issued_credentials[-1]                    # what GetRoleCredentials handed out
        FakeSettings(sts_url=sts.endpoint_url)         # role credentials minted by moto STS

One origin serves both services. `browser.sign_in` / `browser.decide_device` play the
person at the sign-in and device pages with httpx.
"""

from tests.fakes.sso.inputs import s256
from tests.fakes.sso.model import Account, FakeSettings, IssuedRoleCredentials
from tests.fakes.sso.server import SsoFake, run_sso_fake

__all__ = [
    "Account",
    "FakeSettings",
    "IssuedRoleCredentials",
    "SsoFake",
    "run_sso_fake",
    "s256",
]
