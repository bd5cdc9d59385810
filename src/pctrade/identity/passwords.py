"""Password hashing: argon2id (``argon2-cffi``), and bcrypt hashes of old logins.

A password is stored only as its argon2id hash, in the PHC string format that carries
its own salt and parameters (``$argon2id$v=19$m=65536,t=3,p=4$…``). The parameters are
configuration (``HashingParams``): the default is RFC 9106's second recommended
profile, argon2-cffi's own default (64 MiB, 3 passes, 4 lanes: about 0.1 s on the
development machine); a deployment may raise them, and the tests lower them, through
``$PCTRADE_PASSWORD_HASHING`` or ``bootstrap.build(identity=…)``. A hash made under
other parameters, or an old bcrypt hash (``$2b$…``), still verifies, and ``Verdict``
says it should be rehashed: the service does so on that successful login.

An unknown username is checked against a dummy hash made under the same parameters, so
that it costs what a wrong password costs and does not tell which usernames exist.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import bcrypt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from pctrade.kernel.errors import ValidationError

BCRYPT_BYTES_MAX = 72  # bcrypt reads no further, and bcrypt 5 refuses more


@dataclass(frozen=True, slots=True)
class HashingParams:
    """argon2id's cost: passes over memory, memory in KiB, and lanes."""

    time_cost: int = 3
    memory_kib: int = 65_536
    parallelism: int = 4

    def __post_init__(self) -> None:
        if not (
            0 < self.time_cost <= 100
            and 0 < self.parallelism <= 64
            and 8 * self.parallelism <= self.memory_kib <= 4 * 1024 * 1024
        ):
            raise ValidationError(
                f"argon2 needs 1-100 passes, 1-64 lanes and 8 KiB per lane up to 4 GiB: {self}",
                code="bad_hashing_params",
            )

    @classmethod
    def parse(cls, text: str) -> HashingParams:
        """``t=3,m=65536,p=4`` (any order, any subset: the rest keep their defaults)."""
        names = {"t": "time_cost", "m": "memory_kib", "p": "parallelism"}
        given: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            if name.strip() not in names or not value.strip().isdigit():
                raise ValidationError(
                    f"password hashing is t=PASSES,m=KIB,p=LANES, not {text!r}",
                    code="bad_hashing_params",
                )
            given[names[name.strip()]] = int(value)
        return cls(**given)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a password matched, and whether its hash should be made again."""

    ok: bool
    rehash: bool = False


class Passwords:
    """Hashes new passwords and checks given ones, in constant time for unknown users."""

    def __init__(self, params: HashingParams) -> None:
        self.params = params
        self._argon2 = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            type=Type.ID,
        )
        self._dummy: str | None = None  # made on first use: building an app stays cheap

    def hash(self, password: bytes) -> str:
        return self._argon2.hash(password)

    def verify(self, stored: str | None, password: str) -> Verdict:
        """Check ``password`` against ``stored`` (None: the username is unknown)."""
        raw = password.encode()
        dummy = self._dummy_hash()
        if stored is None:
            self._argon2_matches(dummy, raw)
            return Verdict(False)
        if stored.startswith("$2"):
            return Verdict(_bcrypt_matches(stored, raw), rehash=True)
        if not self._argon2_matches(stored, raw):
            return Verdict(False)
        return Verdict(True, rehash=self._argon2.check_needs_rehash(stored))

    def _dummy_hash(self) -> str:
        # The first check of a process makes it, whoever it is about (so that this
        # costs a known user as much as an unknown one); racing threads each make one.
        if self._dummy is None:
            self._dummy = self._argon2.hash(secrets.token_urlsafe(24))
        return self._dummy

    def _argon2_matches(self, stored: str, raw: bytes) -> bool:
        try:
            return self._argon2.verify(stored, raw)
        except (VerificationError, InvalidHashError):
            return False


def _bcrypt_matches(stored: str, raw: bytes) -> bool:
    """An old login's bcrypt hash; its passwords were refused past 72 bytes, so a longer
    one never matches (it is still checked, cut, so that it costs the same)."""
    try:
        matched = bcrypt.checkpw(raw[:BCRYPT_BYTES_MAX], stored.encode())
    except ValueError:  # not a bcrypt hash after all
        return False
    return matched and len(raw) <= BCRYPT_BYTES_MAX
