"""Sealing the result for the host: X25519 keys, malformed blobs and keys refused; and
the console URL sealed to a browser's P-256 key (version 2), opened as the page opens it."""

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from awslogin_protocol.base64url import b64url_encode
from awslogin_protocol.sealing import (
    HostKey,
    SealingError,
    b64url_decode,
    check_browser_key,
    check_public_key,
    parse_public_key,
    seal,
    seal_to_browser,
)
from tests.support.phone import ConsolePageKey

pytestmark = pytest.mark.unit


def test_round_trip_opens_only_for_the_same_pairing() -> None:
    host = HostKey()
    sealed = seal(b'{"code":"abc"}', parse_public_key(host.public_key), "pair-1")
    assert host.open(sealed, "pair-1") == b'{"code":"abc"}'
    with pytest.raises(SealingError):
        host.open(sealed, "pair-2")


def test_each_seal_is_fresh() -> None:
    host = HostKey()
    key = parse_public_key(host.public_key)
    assert seal(b"x", key, "p") != seal(b"x", key, "p")


def test_other_host_cannot_open() -> None:
    sealed = seal(b"secret", parse_public_key(HostKey().public_key), "p")
    with pytest.raises(SealingError):
        HostKey().open(sealed, "p")


def test_tampered_blob_is_refused() -> None:
    host = HostKey()
    blob = bytearray(b64url_decode(seal(b"secret", parse_public_key(host.public_key), "p")))
    blob[-1] ^= 1
    with pytest.raises(SealingError):
        host.open(b64url_encode(bytes(blob)), "p")


@pytest.mark.parametrize(
    "bad", ["", "!!!", b64url_encode(b"short"), b64url_encode(b"\x02" + bytes(80))]
)
def test_malformed_blobs_are_refused(bad: str) -> None:
    with pytest.raises(SealingError):
        HostKey().open(bad, "p")


@pytest.mark.parametrize("bad", ["", "not base64 !", b64url_encode(bytes(31))])
def test_malformed_public_keys_are_refused(bad: str) -> None:
    with pytest.raises(SealingError):
        parse_public_key(bad)


def test_low_order_recipient_key_is_refused() -> None:
    with pytest.raises(SealingError):
        seal(b"x", parse_public_key(b64url_encode(bytes(32))), "p")


def test_host_key_from_given_private_key_is_stable() -> None:
    private = X25519PrivateKey.generate()
    assert HostKey(private).public_key == HostKey(private).public_key


def test_check_public_key_accepts_a_host_key() -> None:
    host = HostKey()
    key = check_public_key(host.public_key)
    assert host.open(seal(b"x", key, "p"), "p") == b"x"


@pytest.mark.parametrize(
    ("encoded", "reason"),
    [
        ("not-base64!!", "base64url"),
        ("AAAA", "base64url"),  # too short
        ("A" * 43, "small order"),  # the all-zero point
        (b64url_encode(bytes.fromhex("01" + "00" * 31)), "small order"),
        (b64url_encode(bytes.fromhex("ec" + "ff" * 31)), "small order"),  # bit 255 set
    ],
)
def test_check_public_key_refuses_malformed_and_small_order_keys(encoded: str, reason: str) -> None:
    with pytest.raises(SealingError, match=reason):
        check_public_key(encoded)


URL = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=abc"


def test_a_url_sealed_to_a_browser_opens_with_its_key_for_its_pairing_only() -> None:
    page = ConsolePageKey()
    sealed = seal_to_browser(URL.encode(), page.public_key, "pairing-1")
    assert URL not in sealed
    assert "abc" not in sealed
    assert b64url_decode(sealed)[0] == 2
    assert page.open(sealed, "pairing-1") == URL
    with pytest.raises(InvalidTag):
        page.open(sealed, "pairing-2")
    with pytest.raises(InvalidTag):
        ConsolePageKey().open(sealed, "pairing-1")
    assert seal_to_browser(URL.encode(), page.public_key, "pairing-1") != sealed


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not base64!",
        b64url_encode(b"\x04" + b"\x00" * 64),  # not on the curve
        b64url_encode(b"\x02" + b"\x01" * 32),  # compressed: WebCrypto exports raw points
        b64url_encode(bytes([9]) + bytes(31)),  # an X25519 key is 32 bytes
    ],
)
def test_only_a_p256_point_is_a_browser_key(bad: str) -> None:
    with pytest.raises(SealingError, match="P-256"):
        check_browser_key(bad)
    with pytest.raises(SealingError):
        seal_to_browser(b"x", bad, "p")


def test_an_overlong_url_is_not_sealed() -> None:
    with pytest.raises(SealingError, match="too large"):
        seal_to_browser(b"x" * (8 * 1024 + 1), ConsolePageKey().public_key, "p")
