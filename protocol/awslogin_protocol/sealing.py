"""Sealed results: the relay encrypts an authorization result to the host's key.

The host makes an ephemeral X25519 key pair per pairing and sends only the public half
to the relay. The relay seals each result with a fresh ephemeral key of its own, so it
keeps nothing that can open what it stores: a copy of the relay's store (or its Redis)
reveals no authorization code. The pairing id is the associated data, so a sealed
blob moved from one pairing to another fails to open.

Wire format (base64url, no padding) of version 1:

    0x01 | relay ephemeral public key (32) | nonce (12) | ChaCha20-Poly1305 ciphertext+tag

The AEAD key is HKDF-SHA256 over the X25519 shared secret, salted with both public keys
so that the key is bound to this exchange.

Console handover (docs/protocol.md, "Console handover") seals the other way: the host
seals a console sign-in URL to a key the person's browser made in WebCrypto. Browsers
have had ECDH on P-256 and AES-GCM in WebCrypto for a decade, X25519 only since 2024-25
(older phones lack it), so that direction is P-256 and AES-256-GCM, version 2:

    0x02 | host ephemeral P-256 public key (65, uncompressed) | nonce (12) | AES-GCM ct+tag

with the key from HKDF-SHA256 over the ECDH shared secret (the x-coordinate, as
WebCrypto's deriveBits gives it), salted with both public keys, and the pairing id as
associated data. The relay forwards it and cannot open it.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from awslogin_protocol.base64url import b64url_encode

__all__ = [
    "HostKey",
    "SealingError",
    "check_browser_key",
    "check_public_key",
    "parse_public_key",
    "seal",
    "seal_to_browser",
]

VERSION = 1
_KEY_LEN = 32
_NONCE_LEN = 12
_INFO = b"awslogin relay v1 sealed result"
# Largest plaintext the relay will seal: a pasted code or a callback's parameters.
MAX_PLAINTEXT = 16 * 1024
BROWSER_VERSION = 2
BROWSER_INFO = b"awslogin relay v1 console url"
_P256_POINT_LEN = 65
# Largest console URL sealed to a browser (a sign-in token is a few KiB).
MAX_CONSOLE_URL = 8 * 1024


class SealingError(ValueError):
    """A key or sealed blob is malformed, or a blob does not open with this key."""


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SealingError("not base64url") from exc


def _derive_key(shared: bytes, sender_public: bytes, recipient_public: bytes) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=_KEY_LEN,
        salt=sender_public + recipient_public,
        info=_INFO,
    )
    return hkdf.derive(shared)


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def parse_public_key(encoded: str) -> X25519PublicKey:
    """Parse a base64url X25519 public key, as sent by the host when it creates a pairing."""
    raw = b64url_decode(encoded)
    if len(raw) != _KEY_LEN:
        raise SealingError("an X25519 public key is 32 bytes")
    return X25519PublicKey.from_public_bytes(raw)


# X25519 public keys of small order (canonical and non-canonical encodings, bit 255 masked):
# sealing to one of them gives an all-zero shared secret. Refusing them when a pairing is
# created costs a set lookup, where a trial key exchange would cost two scalar
# multiplications.
_SMALL_ORDER_KEYS = frozenset(
    bytes.fromhex(text)
    for text in (
        "00" * 32,
        "01" + "00" * 31,
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ec" + "ff" * 30 + "7f",
        "ed" + "ff" * 30 + "7f",
        "ee" + "ff" * 30 + "7f",
    )
)


def check_public_key(encoded: str) -> X25519PublicKey:
    """Parse a host's public key and refuse one that results could not be sealed to.

    The relay calls this when a pairing is created, so that a malformed or small-order
    key is refused then, not when the browser's answer arrives. The message says which.
    """
    try:
        raw = b64url_decode(encoded)
        key = X25519PublicKey.from_public_bytes(raw)
    except (SealingError, ValueError):
        raise SealingError("not a base64url X25519 public key") from None
    if raw[:31] + bytes([raw[31] & 0x7F]) in _SMALL_ORDER_KEYS:
        raise SealingError("not a usable X25519 public key (small order)")
    return key


class HostKey:
    """The host's ephemeral key pair for one pairing; it never leaves the host."""

    def __init__(self, private_key: X25519PrivateKey | None = None) -> None:
        self._private = private_key or X25519PrivateKey.generate()

    @property
    def public_key(self) -> str:
        """The base64url public key to send to the relay."""
        return b64url_encode(_raw_public(self._private.public_key()))

    def open(self, sealed: str, pairing_id: str) -> bytes:
        """Decrypt a sealed result; raises SealingError if it was altered or misdirected."""
        blob = b64url_decode(sealed)
        header = 1 + 32 + _NONCE_LEN
        if len(blob) < header + 16 or blob[0] != VERSION:
            raise SealingError("unsupported or truncated sealed result")
        sender_public = blob[1:33]
        nonce = blob[33:header]
        try:
            shared = self._private.exchange(X25519PublicKey.from_public_bytes(sender_public))
        except ValueError as exc:
            raise SealingError("bad sender key") from exc
        recipient_public = _raw_public(self._private.public_key())
        key = _derive_key(shared, sender_public, recipient_public)
        try:
            return ChaCha20Poly1305(key).decrypt(nonce, blob[header:], pairing_id.encode())
        except InvalidTag as exc:
            raise SealingError("sealed result does not open with this key") from exc


def seal(plaintext: bytes, recipient: X25519PublicKey, pairing_id: str) -> str:
    """Encrypt `plaintext` so that only the holder of the recipient's private key opens it."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise SealingError("result too large to seal")
    ephemeral = X25519PrivateKey.generate()
    try:
        shared = ephemeral.exchange(recipient)
    except ValueError as exc:  # low-order point: all-zero shared secret
        raise SealingError("unusable recipient key") from exc
    sender_public = _raw_public(ephemeral.public_key())
    key = _derive_key(shared, sender_public, _raw_public(recipient))
    nonce = os.urandom(_NONCE_LEN)
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, plaintext, pairing_id.encode())
    return b64url_encode(bytes([VERSION]) + sender_public + nonce + ciphertext)


def check_browser_key(encoded: str) -> ec.EllipticCurvePublicKey:
    """Parse a browser's base64url P-256 public key (the uncompressed point WebCrypto
    exports as "raw") and refuse anything that is not a point of the curve."""
    try:
        raw = b64url_decode(encoded)
        if len(raw) != _P256_POINT_LEN or raw[0] != 0x04:
            raise ValueError("not an uncompressed point")
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except (SealingError, ValueError):
        raise SealingError("not a base64url P-256 public key") from None


def seal_to_browser(plaintext: bytes, browser_key: str, pairing_id: str) -> str:
    """Encrypt `plaintext` (a console URL) so that only the browser holding the private
    half of `browser_key` opens it (version 2 above)."""
    if len(plaintext) > MAX_CONSOLE_URL:
        raise SealingError("too large to seal to a browser")
    recipient = check_browser_key(browser_key)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    shared = ephemeral.exchange(ec.ECDH(), recipient)
    sender_public = ephemeral.public_key().public_bytes(
        Encoding.X962, PublicFormat.UncompressedPoint
    )
    recipient_public = recipient.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=_KEY_LEN,
        salt=sender_public + recipient_public,
        info=BROWSER_INFO,
    ).derive(shared)
    nonce = os.urandom(_NONCE_LEN)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, pairing_id.encode())
    return b64url_encode(bytes([BROWSER_VERSION]) + sender_public + nonce + ciphertext)
