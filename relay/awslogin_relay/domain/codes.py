"""Identifiers a pairing is known by, and how they are made and normalized.

* pairing id: public (it is in the QR code), 12 base62 characters, about 71 random bits,
  so pairings cannot be enumerated.
* user code: 8 letters from 20 consonants that are hard to confuse (no vowels, so no
  words; no I/O/U/Y), shown as XXXX-XXXX; about 34 bits, enough with the relay-wide
  budget of wrong codes on /link and the cap on pending pairings (2,560,000 expected
  guesses per valid code; docs/security.md#guessing-user-codes).
* poll token: 32 random bytes known only to the host; the store keeps its SHA-256.
* binding secret: 32 random bytes known only to the browser that confirmed a pairing
  (in an HttpOnly cookie); the store keeps its SHA-256, and only a request carrying the
  secret may complete the pairing.
* match number: two digits (10-99) that the terminal shows and the confirmation page
  offers among three; the two decoys are drawn with it, once, so that reloading the
  page never narrows the choice (docs/security.md#number-matching).
* creation token id: what the store and the per-token cap know one of the relay's
  creation tokens (RELAY_CREATE_TOKEN) by, 16 hex digits of its SHA-256; never the token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

PAIRING_ID_ALPHABET = string.ascii_letters + string.digits
PAIRING_ID_LENGTH = 12
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
_IGNORED_IN_USER_CODE = str.maketrans("", "", "- \t")
TYPED_USER_CODE_PATTERN = (
    f"^[- \t]*(?:[{USER_CODE_ALPHABET}{USER_CODE_ALPHABET.lower()}][- \t]*){{{USER_CODE_LENGTH}}}$"
)
"""What a person may type for a user code: its 8 letters in any case, with dashes,
spaces and tabs anywhere (ASCII only; a regular expression that Python and JSON Schema
read alike, so `/openapi.json` publishes the same rule)."""


def _random_text(alphabet: str, length: int) -> str:
    """Uniform random characters from `alphabet`, by rejection sampling of random bytes.

    One urandom call per identifier instead of one `secrets.choice` per character: this
    runs on every pairing creation.
    """
    size = len(alphabet)
    limit = 256 - 256 % size  # bytes at or above this would bias the first letters
    out: list[str] = []
    while len(out) < length:
        for byte in secrets.token_bytes(length * 2):
            if byte < limit:
                out.append(alphabet[byte % size])
                if len(out) == length:
                    break
    return "".join(out)


def new_pairing_id() -> str:
    return _random_text(PAIRING_ID_ALPHABET, PAIRING_ID_LENGTH)


def is_pairing_id(text: str) -> bool:
    return len(text) == PAIRING_ID_LENGTH and text.isascii() and text.isalnum()


def new_user_code() -> str:
    return _random_text(USER_CODE_ALPHABET, USER_CODE_LENGTH)


def format_user_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalize_user_code(text: str) -> str | None:
    """The stored form of what a person typed (any case, dashes and spaces ignored)."""
    if re.fullmatch(TYPED_USER_CODE_PATTERN, text) is None:
        return None
    return text.translate(_IGNORED_IN_USER_CODE).upper()


MATCH_NUMBERS = range(10, 100)
MATCH_CHOICES = 3


def new_match_numbers() -> tuple[int, tuple[int, ...]]:
    """The right number and the choices the page offers (it among two decoys), in an
    order drawn once: the page shows them so on every load."""
    choices = [secrets.choice(MATCH_NUMBERS)]
    while len(choices) < MATCH_CHOICES:
        decoy = secrets.choice(MATCH_NUMBERS)
        if decoy not in choices:
            choices.append(decoy)
    right = choices[0]
    shuffled: list[int] = []
    while choices:
        shuffled.append(choices.pop(secrets.randbelow(len(choices))))
    return right, tuple(shuffled)


def new_poll_token() -> str:
    return secrets.token_urlsafe(32)


def hash_poll_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def poll_token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_poll_token(token), stored_hash)


def new_binding_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_binding_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def binding_secret_matches(secret: str | None, stored_hash: str | None) -> bool:
    """Whether a browser's secret is the one the pairing was bound to (constant time)."""
    if secret is None or stored_hash is None:
        return False
    return hmac.compare_digest(hash_binding_secret(secret), stored_hash)


def create_token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def matching_create_token(presented: str | None, tokens: tuple[str, ...]) -> str | None:
    """The id of the configured creation token that `presented` is, or None.

    Compared in constant time with every configured token, so that the time taken says
    neither which token nor how much of one matched.
    """
    if presented is None:
        return None
    found = None
    for token in tokens:
        if hmac.compare_digest(presented.encode(), token.encode()):
            found = token
    return None if found is None else create_token_id(found)
