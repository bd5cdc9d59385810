"""Randomness, injected: every unguessable id pctrade makes is drawn from an ``Entropy``.

An id that others must not guess — a retirement certificate's, which anyone holding it
may read — is random, and it is recorded where it is used (in the journal entry), so
that replaying the journal never needs to draw it again. Where the draw comes from is
the composition root's choice, like the clock's (``kernel.clock``): a real app draws
from the operating system (``system_entropy``); a test or a scenario passes
``SeededEntropy``, so that two registries given the same seed and the same requests
write the same journal, hash for hash.
"""

from __future__ import annotations

import base64
import random
import re
import secrets
from collections.abc import Callable
from typing import Final

# ``n`` → ``n`` random bytes.
Entropy = Callable[[int], bytes]

TOKEN_BYTES: Final = 16  # 128 bits: guessing one id of a billion takes ~2^98 tries
TOKEN_LEN: Final = 26  # base32 of 16 bytes, without padding
TOKEN_RE: Final = re.compile(rf"^[a-z2-7]{{{TOKEN_LEN}}}$")


def system_entropy(n: int) -> bytes:
    """The operating system's randomness (``secrets``): what a real registry draws."""
    return secrets.token_bytes(n)


class SeededEntropy:
    """Reproducible bytes from a seed, for tests and scenarios only (not secret)."""

    def __init__(self, seed: int | str) -> None:
        self._random = random.Random(seed)

    def __call__(self, n: int) -> bytes:
        return self._random.randbytes(n)


def token(entropy: Entropy) -> str:
    """A fresh unguessable token: 128 random bits as 26 lower-case base32 characters."""
    return base64.b32encode(entropy(TOKEN_BYTES)).decode().rstrip("=").lower()
