"""What people type into a form, read into the registry's integers.

People write tonnes and yuan ("12.5", "58.00"); the services take grams and fen. Each
reading is exact (``Decimal``, never a float): a figure finer than the unit beneath it
(a fraction of a gram, of a fen) is refused, not rounded, so what is written is what is
asked for. Refusals carry the codes the API uses for the same mistakes.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import INT64_MAX
from pctrade.kernel.units import G_PER_T

FEN_PER_YUAN = 100
TEXT_LEN_MAX = 32  # a figure longer than this is not one a person typed


def _decimal(text: str, what: str, code: str) -> Decimal:
    cleaned = text.strip().replace(",", "")
    if not cleaned or len(cleaned) > TEXT_LEN_MAX:
        raise ValidationError(f"{what} is missing or too long", code=code)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValidationError(f"{what} {cleaned!r} is not a number", code=code) from exc
    if not value.is_finite():
        raise ValidationError(f"{what} {cleaned!r} is not a number", code=code)
    return value


def _whole(value: Decimal, what: str, code: str) -> int:
    if value != value.to_integral_value():
        raise ValidationError(f"{what} is finer than its smallest unit", code=code)
    n = int(value)
    if not 0 < n <= INT64_MAX:
        raise ValidationError(f"{what} must be positive", code="non_positive")
    return n


def tonnes_to_g(text: str, what: str = "quantity") -> int:
    """ "12.5" (tonnes) → 12,500,000 g; at most to the gram."""
    return _whole(_decimal(text, what, "bad_quantity") * G_PER_T, what, "bad_quantity")


def yuan_to_fen(text: str, what: str = "price") -> int:
    """ "58.00" (yuan) → 5,800 fen; at most to the fen."""
    return _whole(_decimal(text, what, "not_integer") * FEN_PER_YUAN, what, "not_integer")


def positive_int(text: str, what: str) -> int:
    """An id or a count typed or chosen in a form."""
    return _whole(_decimal(text, what, "not_integer"), what, "not_integer")
