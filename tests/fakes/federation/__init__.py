"""A fake of the AWS federation endpoint (`/federation`) served on 127.0.0.1.

with run_federation_fake() as fake:
    env = fake.endpoint_env()          # AWS_ENDPOINT_URL_FEDERATION -> base_url
    fake.state.chained_keys.add(key)   # credentials from role chaining (no SessionDuration)
    fake.state.fail_next(503, 503)     # passing faults before the next answers
    fake.state.sessions[-1]            # what getSigninToken received
    fake.state.tokens                  # the sign-in tokens it issued
    fake.state.advance(901)            # move its clock: tokens die after 15 minutes
"""

from tests.fakes.federation.server import FederationFake, run_federation_fake
from tests.fakes.federation.service import FederationState

__all__ = ["FederationFake", "FederationState", "run_federation_fake"]
