"""Protocol fake of the AWS Sign-In service (`aws login`), built from botocore's `signin` model."""

from tests.fakes.signin.authorize import CROSS_DEVICE_CLIENT, SAME_DEVICE_CLIENT
from tests.fakes.signin.records import LoginSession
from tests.fakes.signin.server import SigninFake, run_signin_fake
from tests.fakes.signin.service import verification_code

__all__ = [
    "CROSS_DEVICE_CLIENT",
    "SAME_DEVICE_CLIENT",
    "LoginSession",
    "SigninFake",
    "run_signin_fake",
    "verification_code",
]
