"""Integer units: grams CO2e for carbon, fen for money, fen per tonne for prices.

Nothing in the ledger is a float. People write "1.5 t" or "12.30 元"; these helpers turn
such text into exact integers (refusing anything finer than the unit) and back.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import INT64_MAX

G_PER_KG = 1_000
G_PER_T = 1_000_000
FEN_PER_YUAN = 100
BPS = 10_000  # basis points in a whole: rates (buffer share, flagged share) are integers

_CARBON_UNITS = {"g": 1, "kg": G_PER_KG, "t": G_PER_T, "tco2e": G_PER_T}
_MONEY_UNITS = {"fen": 1, "yuan": FEN_PER_YUAN, "cny": FEN_PER_YUAN, "元": FEN_PER_YUAN}
# Up to 61 digits read, times at most 10^6: 100 digits keep every product exact (the
# default 28-digit context would round "1.000000000000000000000000000001 t" to 1 t).
_EXACT = Context(prec=100)
# The unit starts with a non-digit but may contain digits ("tCO2e").
_QUANTITY_RE = re.compile(r"^\s*([+-]?\d{1,30}(?:\.\d{1,30})?)\s*((?:[^\d\s.]\S*)?)\s*$")


def _parse(text: str, units: dict[str, int], what: str) -> int:
    match = _QUANTITY_RE.match(text)
    if match is None:
        raise ValidationError(f"cannot read {what} {text!r}", code="bad_quantity")
    number, unit = match.group(1), match.group(2).lower()
    unit = unit or next(iter(units))
    if unit not in units:
        known = ", ".join(units)
        raise ValidationError(f"unknown unit {unit!r} (use {known})", code="bad_unit")
    exact = _EXACT.multiply(Decimal(number), units[unit])
    if exact != exact.to_integral_value():
        smallest = next(iter(units))
        raise ValidationError(f"{text!r} is finer than one {smallest}", code="bad_quantity")
    return check_int64(int(exact), what)


def parse_carbon_g(text: str) -> int:
    """``"1.5 t"`` → 1_500_000; a bare number is grams."""
    return _parse(text, _CARBON_UNITS, "carbon quantity")


def parse_money_fen(text: str) -> int:
    """``"12.30 yuan"`` → 1230; a bare number is fen."""
    return _parse(text, _MONEY_UNITS, "amount")


def check_int64(value: int, what: str = "quantity") -> int:
    if not -INT64_MAX <= value <= INT64_MAX:
        raise ValidationError(f"{what} {value} is beyond the 64-bit range", code="out_of_range")
    return value


def require_positive(value: int, what: str = "quantity") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be an integer", code="bad_quantity")
    check_int64(value, what)
    if value <= 0:
        raise ValidationError(f"{what} must be positive, got {value}", code="non_positive")
    return value


def format_carbon(quantity_g: int) -> str:
    """Grams in the largest unit that reads well: ``1.5 t``, ``250 kg``, ``80 g``."""
    sign = "-" if quantity_g < 0 else ""
    g = abs(quantity_g)
    if g >= G_PER_T:
        return f"{sign}{Decimal(g) / G_PER_T:f} t"
    if g >= G_PER_KG:
        return f"{sign}{Decimal(g) / G_PER_KG:f} kg"
    return f"{sign}{g} g"


def format_money(amount_fen: int) -> str:
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), FEN_PER_YUAN)
    return f"{sign}¥{yuan:,}.{fen:02d}"
