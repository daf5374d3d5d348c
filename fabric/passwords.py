"""Password hashes for guests: SHA-512 crypt, the crypt(3) format cloud-init and Debian accept in /etc/shadow."""

from __future__ import annotations

import hashlib
import secrets

# Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512" (https://www.akkadia.org/drepper/SHA-crypt.txt).
ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SALT_LENGTH = 16
ROUNDS_DEFAULT = 5000
ROUNDS_MIN = 1000
ROUNDS_MAX = 999_999_999

# The order in which the final digest's bytes are taken, three at a time, into the hash's characters.
_ORDER = (
    (0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4), (47, 5, 26), (6, 27, 48),
    (28, 49, 7), (50, 8, 29), (9, 30, 51), (31, 52, 10), (53, 11, 32), (12, 33, 54), (34, 55, 13),
    (56, 14, 35), (15, 36, 57), (37, 58, 16), (59, 17, 38), (18, 39, 60), (40, 61, 19), (62, 20, 41),
)  # fmt: skip


def password_crypt(plain: str, *, salt: str | None = None) -> str:
    """Return the SHA-512 crypt hash (`$6$salt$hash`, 5000 rounds) of a password, with a fresh random salt."""
    if salt is None:
        salt = "".join(secrets.choice(ALPHABET) for _ in range(SALT_LENGTH))
    return sha512_crypt(plain, salt)


def sha512_crypt(plain: str, salt: str, rounds: int | None = None) -> str:
    """Hash a password with SHA-512 crypt; name the rounds only when they differ from the default, as crypt(3) does."""
    password = plain.encode()
    salt_bytes = salt.encode()[:SALT_LENGTH]
    count = ROUNDS_DEFAULT if rounds is None else min(max(rounds, ROUNDS_MIN), ROUNDS_MAX)

    alternate = hashlib.sha512(password + salt_bytes + password).digest()
    intermediate = hashlib.sha512(password + salt_bytes)
    intermediate.update(_repeat(alternate, len(password)))
    length = len(password)
    while length:
        intermediate.update(alternate if length & 1 else password)
        length >>= 1
    digest = intermediate.digest()

    password_sequence = _repeat(hashlib.sha512(password * len(password)).digest(), len(password))
    salt_sequence = _repeat(hashlib.sha512(salt_bytes * (16 + digest[0])).digest(), len(salt_bytes))

    for index in range(count):
        step = hashlib.sha512(password_sequence if index & 1 else digest)
        if index % 3:
            step.update(salt_sequence)
        if index % 7:
            step.update(password_sequence)
        step.update(digest if index & 1 else password_sequence)
        digest = step.digest()

    encoded = "".join(_encode(digest[a], digest[b], digest[c], 4) for a, b, c in _ORDER) + _encode(0, 0, digest[63], 2)
    prefix = "$6$" if rounds is None else f"$6$rounds={count}$"
    return f"{prefix}{salt_bytes.decode()}${encoded}"


def _repeat(block: bytes, length: int) -> bytes:
    """Return `length` bytes made of the block repeated."""
    return (block * (length // len(block) + 1))[:length]


def _encode(high: int, middle: int, low: int, characters: int) -> str:
    """Encode 24 bits in crypt's base-64 alphabet, least significant six bits first."""
    word = (high << 16) | (middle << 8) | low
    out = []
    for _ in range(characters):
        out.append(ALPHABET[word & 0x3F])
        word >>= 6
    return "".join(out)
