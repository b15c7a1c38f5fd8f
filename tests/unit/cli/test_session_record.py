import pytest

from awslogin.session_record import account_id, process_output

pytestmark = pytest.mark.unit

CREDENTIALS = {
    "AccessKeyId": "ASIA",
    "SecretAccessKey": "secret",
    "SessionToken": "token",
    "Expiration": "2026-11-22T01:00:00Z",
}


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        ({"arn": "arn:aws:sts::123456789012:assumed-role/dev/alice"}, "123456789012"),
        ({"arn": "arn:aws-us-gov:iam::210987654321:user/bob"}, "210987654321"),
        ({"arn": "arn:aws:sts::123:assumed-role/dev/alice"}, None),
        ({"arn": "role Developer in account 111111111111"}, None),
        ({"arn": "x", "accountId": "111111111111"}, "111111111111"),
        ({}, None),
    ],
)
def test_account_id_is_stated_or_read_off_the_arn(
    identity: dict[str, str], expected: str | None
) -> None:
    assert account_id({"identity": identity}) == expected


def test_process_output_names_the_account_only_when_known() -> None:
    known = {"credentials": CREDENTIALS, "identity": {"accountId": "111111111111"}}
    assert process_output(known) == {"Version": 1, **CREDENTIALS, "AccountId": "111111111111"}
    assert process_output({"credentials": CREDENTIALS}) == {"Version": 1, **CREDENTIALS}
