"""Passwords and API tokens are kept only as slow hashes (scrypt, from the standard library)
and compared in constant time. Hashing takes tens of milliseconds on purpose: callers run it
off the event loop (``asyncio.to_thread``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1  # 16 MiB and ~50 ms per hash on one core (unit tests lower N)
SALT_BYTES = 16
KEY_BYTES = 32
PREFIX = "scrypt"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_secret(secret: str, *, n: int | None = None) -> str:
    """``scrypt$N$R$P$salt$key`` (base64): what the store keeps instead of the secret."""
    n = n or N
    salt = secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=R, p=P, dklen=KEY_BYTES)
    return f"{PREFIX}${n}${R}${P}${_b64(salt)}${_b64(key)}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one ``stored`` was made from (constant-time compare; a
    malformed stored value matches nothing)."""
    try:
        prefix, n, r, p, salt, key = stored.split("$")
        if prefix != PREFIX:
            return False
        expected = base64.b64decode(key, validate=True)
        given = hashlib.scrypt(secret.encode(), salt=base64.b64decode(salt, validate=True),
                               n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(given, expected)


def fast_digest(secret: str) -> str:
    """For long random values only (web session ids: 256 random bits), where a slow hash
    adds nothing: what the store keeps to find the session without keeping the id."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_password() -> str:
    """A password to type: 16 characters from an alphabet without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def new_token() -> tuple[str, str]:
    """``(token_id, token)``: the token is ``cc_<id>_<secret>``; the id (public, stored as is)
    finds the user, the secret is checked against its slow hash."""
    token_id = secrets.token_hex(6)
    return token_id, f"cc_{token_id}_{secrets.token_urlsafe(32)}"


def token_id_of(token: str) -> str | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "cc" or len(parts[1]) != 12:
        return None
    return parts[1]
