"""SHA-512 crypt: the spec's published vectors, and agreement with OpenSSL for random passwords and salts."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fabric.passwords import ALPHABET, password_crypt, sha512_crypt

# From "Unix crypt using SHA-256 and SHA-512" by Ulrich Drepper, the SHA-512 test vectors.
SPEC_VECTORS = [
    (
        "Hello world!",
        "saltstring",
        None,
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    ),
    (
        "Hello world!",
        "saltstringsaltstring",
        10000,
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs"
        "/y3RnOaw5v.",
    ),
    (
        "This is just a test",
        "toolongsaltstring",
        5000,
        "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxx"
        "l8audkUEm0",
    ),
    (
        "a very much longer text to encrypt.  This one even stretches over morethan one line.",
        "anotherlongsaltstring",
        1400,
        "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiD"
        "wGqd8p4ur1",
    ),
    (
        "we have a short salt string but not a short password",
        "short",
        77777,
        "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0",
    ),
    (
        "a short string",
        "asaltof16chars..",
        123456,
        "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcg"
        "EJAstJeonj1",
    ),
    (
        "the minimum number is still observed",
        "roundstoolow",
        10,
        "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHH"
        "rsX.",
    ),
]


@pytest.mark.parametrize(("plain", "salt", "rounds", "expected"), SPEC_VECTORS)
def test_sha512_crypt_matches_the_specs_vectors(plain, salt, rounds, expected):
    assert sha512_crypt(plain, salt, rounds) == expected


def test_password_crypt_uses_a_fresh_16_character_salt_and_the_default_rounds():
    first, second = password_crypt("correct horse"), password_crypt("correct horse")
    assert first != second
    for hashed in (first, second):
        _, scheme, salt, digest = hashed.split("$")
        assert scheme == "6"
        assert len(salt) == 16
        assert set(salt) <= set(ALPHABET)
        assert len(digest) == 86
        assert sha512_crypt("correct horse", salt) == hashed


openssl = shutil.which("openssl")


@pytest.mark.skipif(openssl is None, reason="openssl is not installed")
@settings(max_examples=40, deadline=None)
@example(plain="-", salt="0")
@given(
    plain=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80),
    salt=st.text(ALPHABET, min_size=1, max_size=16),
)
def test_password_crypt_agrees_with_openssl(plain, salt):
    """OpenSSL refuses an empty password, so the strategy starts at one character; the password goes on standard
    input, where one starting with "-" is not taken for an option (control characters, newlines among them, are
    left out)."""
    expected = subprocess.run(
        [openssl, "passwd", "-6", "-salt", salt, "-stdin"],
        input=plain + "\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert password_crypt(plain, salt=salt) == expected
