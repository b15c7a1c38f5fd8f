import pytest

from awslogin.session_record import (
    account_id,
    credentials_left,
    parse_record,
    process_output,
    session_left,
)

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


GOOD = {
    "version": 1,
    "provider": "oidc",
    "profile": "dev",
    "config": {"awslogin_issuer": "https://idp.example.test"},
    "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/dev/alice", "subject": "alice"},
    "credentials": {**CREDENTIALS, "ExpiresAt": 1795309200},
    "session": {"startedAt": 1795305600, "expiresAt": 1795348800},
    "providerState": {"refreshToken": "rt", "tokenEndpoint": "https://idp.example.test/t"},
}


def test_a_well_formed_record_reads_back_as_written() -> None:
    assert parse_record(GOOD) == GOOD


@pytest.mark.parametrize(
    "config", [None, "dev", ["a"], {"awslogin_issuer": 1}, {"awslogin_issuer": None}]
)
def test_a_record_without_a_readable_config_is_no_session(config: object) -> None:
    assert parse_record({**GOOD, "config": config}) is None
    assert parse_record(None) is None


@pytest.mark.parametrize(
    "credentials",
    [
        {**CREDENTIALS},  # no ExpiresAt
        {**CREDENTIALS, "ExpiresAt": "1795309200"},
        {**CREDENTIALS, "ExpiresAt": True},
        {**CREDENTIALS, "ExpiresAt": float("nan")},
        {**CREDENTIALS, "ExpiresAt": float("inf")},
        {**CREDENTIALS, "SessionToken": None, "ExpiresAt": 1795309200},
        [],
    ],
)
def test_credentials_that_lack_a_field_are_no_credentials(credentials: object) -> None:
    record = parse_record({**GOOD, "credentials": credentials})
    assert record is not None
    assert "credentials" not in record
    assert credentials_left(record, 0) < 0  # so the next use refreshes them


def test_hostile_values_are_left_out_and_an_unreadable_window_has_ended() -> None:
    record = parse_record(
        {
            **GOOD,
            "identity": {"arn": 7, "accountId": None},
            "session": {"startedAt": "soon", "expiresAt": [1]},
            "providerState": {"refreshToken": {"x": 1}, "nonce": "n", "extra": "kept out"},
            "endedReason": 404,
            "refreshRetryAfter": "later",
        }
    )
    assert record is not None
    assert record["identity"] == {"accountId": None}
    assert record["session"] == {"startedAt": 0, "expiresAt": 0}
    assert session_left(record, 1) < 0
    assert record["providerState"] == {"nonce": "n"}
    assert "endedReason" not in record
    assert "refreshRetryAfter" not in record
