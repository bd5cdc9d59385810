"""The primitive checks of a rule-set file's values: each takes where the value is (for
the message) and the value, and returns it typed or raises ``RuleSetError``.

``rules.loader`` builds every section's spec from these; ``rules.consistency`` raises
the same error for rules across keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import INT64_MAX

LIST_LEN_MAX = 64
TEXT_LEN_MAX = 2_000


class RuleSetError(ValidationError):
    """A rule-set file is malformed; the message names the file and the key."""

    code = "bad_rule_set"


Check = Callable[[str, Any], Any]


def integer(lo: int, hi: int = INT64_MAX) -> Check:
    def check(where: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleSetError(f"{where}: must be an integer, got {value!r}")
        if not lo <= value <= hi:
            raise RuleSetError(f"{where}: {value} is outside {lo}..{hi}")
        return value

    return check


def optional(check: Check) -> Check:
    def inner(where: str, value: Any) -> Any:
        return None if value is None else check(where, value)

    inner.optional = True  # type: ignore[attr-defined]
    return inner


def boolean(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise RuleSetError(f"{where}: must be true or false, got {value!r}")
    return value


def text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > TEXT_LEN_MAX:
        raise RuleSetError(f"{where}: must be text of 1 to {TEXT_LEN_MAX} characters")
    return value


def words(pattern: re.Pattern[str], allow_empty: bool = False) -> Check:
    def check(where: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or len(value) > LIST_LEN_MAX:
            raise RuleSetError(f"{where}: must be a list of at most {LIST_LEN_MAX} strings")
        if not value and not allow_empty:
            raise RuleSetError(f"{where}: must not be empty")
        for item in value:
            if not isinstance(item, str) or not pattern.match(item):
                raise RuleSetError(f"{where}: {item!r} does not match {pattern.pattern}")
        if len(set(value)) != len(value):
            raise RuleSetError(f"{where}: lists an item twice")
        return tuple(value)

    return check


def enum_of(kind: type[StrEnum]) -> Check:
    def check(where: str, value: Any) -> StrEnum:
        try:
            return kind(value)
        except ValueError as exc:
            known = ", ".join(str(v) for v in kind)
            raise RuleSetError(f"{where}: {value!r} is not one of {known}") from exc

    return check
