"""Numbers, money, carbon and dates as a person reads them, in their locale.

The registry keeps integers in the smallest unit (grams, fen, basis points); these turn
them into text with Babel's CLDR data (grouping, decimal signs, date patterns), and the
unit words from the catalogue (``t``/``kg``/``g`` are 吨/千克/克 in Chinese: CLDR's
Chinese tonne is 公吨, which no Chinese carbon market writes). Each takes the
``Language`` explicitly, so it can be tested without a request; ``templating`` registers
them as Jinja filters that read the language being rendered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_decimal, format_percent

from pctrade.kernel.units import G_PER_KG, G_PER_T
from pctrade.web.i18n import Language

# Dates and times are shown in China Standard Time, the registry's calendar.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
FEN_PER_YUAN = 100
BPS_PER_UNIT = 10_000
# Carbon to three decimals of its unit (a gram of a kilogram, a kilogram of a tonne).
CARBON_PATTERN = "#,##0.###"
# "¥" in both languages: CLDR's English says "CN¥", which no one here writes.
YUAN_PATTERN = "¥#,##0.00;-¥#,##0.00"


def number(value: int | Decimal, language: Language) -> str:
    return format_decimal(value, locale=language.babel_locale)


def grams(value_g: int, language: Language) -> str:
    """Carbon in the largest unit that keeps it at least 1: "1,234.5 t", "12.5 kg", "3 g"."""
    magnitude = abs(value_g)
    if magnitude >= G_PER_T:
        amount, unit = Decimal(value_g) / G_PER_T, language.gettext("{amount} t")
    elif magnitude >= G_PER_KG:
        amount, unit = Decimal(value_g) / G_PER_KG, language.gettext("{amount} kg")
    else:
        amount, unit = Decimal(value_g), language.gettext("{amount} g")
    text = format_decimal(amount, format=CARBON_PATTERN, locale=language.babel_locale)
    return unit.format(amount=text)


def yuan(value_fen: int, language: Language) -> str:
    """Money: "¥1,234.56"."""
    amount = Decimal(value_fen) / FEN_PER_YUAN
    return format_decimal(amount, format=YUAN_PATTERN, locale=language.babel_locale)


def price_per_t(value_fen_per_t: int, language: Language) -> str:
    """A price per tonne: "¥58.00/t" ("¥58.00/吨")."""
    return language.gettext("{price}/t").format(price=yuan(value_fen_per_t, language))


def bps(value_bps: int, language: Language) -> str:
    """Basis points as a percentage: 125 → "1.25%"."""
    fraction = Decimal(value_bps) / BPS_PER_UNIT
    return format_percent(fraction, format="#,##0.##%", locale=language.babel_locale)


def day(value: date | datetime | str, language: Language) -> str:
    """A calendar day ("2026年11月23日", "Nov 23, 2026"); an instant is taken in CST."""
    parsed = _parsed(value)
    if isinstance(parsed, datetime):
        parsed = parsed.astimezone(CHINA_STANDARD_TIME).date()
    return babel_date(parsed, format="medium", locale=language.babel_locale)


def instant(value: datetime | str, language: Language) -> str:
    """An instant in China Standard Time, to the minute."""
    parsed = _parsed(value)
    if not isinstance(parsed, datetime):
        parsed = datetime(parsed.year, parsed.month, parsed.day, tzinfo=CHINA_STANDARD_TIME)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # the registry's instants are UTC
    pattern = "yyyy-MM-dd HH:mm" if language.code == "zh" else "MMM d, yyyy, HH:mm"
    return babel_datetime(
        parsed, format=pattern, tzinfo=CHINA_STANDARD_TIME, locale=language.babel_locale
    )


def _parsed(value: date | datetime | str) -> date | datetime:
    if not isinstance(value, str):
        return value
    if "T" in value or " " in value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return date.fromisoformat(value)
