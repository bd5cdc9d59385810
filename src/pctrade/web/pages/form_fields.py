"""Reading a posted form's fields into the integers the services take.

A person types yuan with up to two decimals ("82.00") and whole numbers of grams or
lots; the services take fen, grams and fen per tonne. The conversion is exact (text to
integers, no float on the way) and a field that does not read is refused with a code
the API uses for the same fault (``missing_field``, ``not_integer``, ``too_long``), so
the page shows it as the API would answer it, and nothing is written.
"""

from __future__ import annotations

import re

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import INT64_MAX

TEXT_LEN_MAX = 200  # a beneficiary's name, a reason
_INTEGER = re.compile(r"^[0-9]{1,18}$")
_YUAN = re.compile(r"^([0-9]{1,15})(?:\.([0-9]{1,2}))?$")


def required(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise ValidationError(f"{name} is required", code="missing_field")
    return value


def text(fields: dict[str, str], name: str, default: str = "") -> str:
    """A free-text field (trimmed), at most ``TEXT_LEN_MAX`` characters."""
    value = fields.get(name, "").strip() or default
    if len(value) > TEXT_LEN_MAX:
        raise ValidationError(f"{name} is longer than {TEXT_LEN_MAX} characters", code="too_long")
    return value


def whole_number(fields: dict[str, str], name: str) -> int:
    """A whole number written in digits (grams, lots, an account id)."""
    value = required(fields, name).replace(",", "")
    if not _INTEGER.match(value) or int(value) > INT64_MAX:
        raise ValidationError(
            f"{name} must be a whole number, got {value[:32]!r}", code="not_integer"
        )
    return int(value)


def yuan_as_fen(fields: dict[str, str], name: str) -> int:
    """Yuan with at most two decimals ("82", "82.5", "82.00"), as fen."""
    value = required(fields, name).replace(",", "").removeprefix("¥")
    found = _YUAN.match(value)
    if found is None:
        raise ValidationError(
            f"{name} must be yuan with at most two decimals, got {value[:32]!r}", code="not_integer"
        )
    whole, cents = found.group(1), (found.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)
