"""Parse rule-set files strictly: an unknown key or a bad value is an error naming both.

A file is TOML with a few top-level keys, a ``[sources.*]`` table per cited source and
optional section tables (``[trading]``, ``[positions]``, ``[surveillance]``,
``[block_trades]``, ``[auctions]``, ``[offsets]``, ``[fees]``, ``[eligibility]``,
``[energy]``, ``[sinks]``, ``[carbon_inclusive]``, ``[pools]``). Each section lists its ``sources``
(keys of ``[sources]``) and, in ``assumed``, the fields we could not confirm. Numbers
must be integers (a float such as ``0.05`` is refused: it could not be compared
exactly), booleans must be booleans, and every figure has a stated range.

The parser is table-driven (``_SPECS``): adding a parameter for a later wave is one
line in the spec and one field in ``model``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.units import BPS
from pctrade.rules.checks import LIST_LEN_MAX, Check, RuleSetError
from pctrade.rules.checks import boolean as _bool
from pctrade.rules.checks import enum_of as _enum
from pctrade.rules.checks import integer as _int
from pctrade.rules.checks import optional as _optional
from pctrade.rules.checks import text as _text
from pctrade.rules.checks import words as _words
from pctrade.rules.consistency import check_consistent
from pctrade.rules.lines import line_of
from pctrade.rules.model import (
    CONTRACT_KEY_FIELDS,
    POOL_DISCLOSURES,
    SECTIONS,
    Allocation,
    AuctionPricing,
    Auctions,
    BlockTrades,
    CapBasis,
    CarbonInclusive,
    Cited,
    Compliance,
    Eligibility,
    Energy,
    Fees,
    IssuancePath,
    Lot,
    Offsets,
    Pools,
    Positions,
    PriceWindowEnd,
    RuleSet,
    Session,
    Sinks,
    Source,
    Surveillance,
    Trading,
    period_years,
)

JURISDICTION_RE = re.compile(r"^[A-Z]{2,3}$")
ISO_RE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")
METHODOLOGY_RE = re.compile(r"^[a-z_]+/v[0-9]+$")
SINK_METHODOLOGY_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
INSTRUMENT_RE = re.compile(r"^[A-Z]{2,8}$")
RELATION_KIND_RE = re.compile(r"^[a-z_]{1,32}$")
DAY_S = 86_400
SESSION_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]|24):([0-5][0-9])$")
SESSIONS_MAX = 8
SECONDS_PER_DAY = 86_400
SINK_PROJECT_TYPES = ("afforestation", "reforestation", "redd", "conservation", "management")


# The primitive checks (``rules.checks``) and the cross-key checks (``rules.consistency``)
# live beside this module; here are the sections' specs and the file's parse.


def _buffer_rates(where: str, value: Any) -> Mapping[str, int]:
    if not isinstance(value, dict):
        raise RuleSetError(f"{where}: must be a table of project type = basis points")
    unknown = set(value) - set(SINK_PROJECT_TYPES)
    if unknown:
        raise RuleSetError(f"{where}: unknown project type {sorted(unknown)[0]!r}")
    rate = _int(0, BPS - 1)
    return MappingProxyType({k: rate(f"{where}.{k}", v) for k, v in sorted(value.items())})


def _sessions(where: str, value: Any) -> tuple[Session, ...]:
    """``["09:30-11:30", "13:00-15:00"]`` → ((34200, 41400), (46800, 54000)).

    Local times of day, open inclusive and close exclusive; the sessions are in time
    order, each opens before it closes and none overlaps the next.
    """
    if not isinstance(value, list) or not 1 <= len(value) <= SESSIONS_MAX:
        raise RuleSetError(f'{where}: must be a list of 1 to {SESSIONS_MAX} "HH:MM-HH:MM"')
    found: list[Session] = []
    for item in value:
        match = SESSION_RE.match(item) if isinstance(item, str) else None
        if match is None:
            raise RuleSetError(f'{where}: {item!r} is not a session such as "13:00-15:00"')
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        session = Session(h1 * 3_600 + m1 * 60, h2 * 3_600 + m2 * 60)
        if not session.open_s < session.close_s <= SECONDS_PER_DAY:
            raise RuleSetError(f"{where}: {item!r} must open before it closes within the day")
        if found and session.open_s < found[-1].close_s:
            raise RuleSetError(f"{where}: {item!r} starts before the session ahead of it ends")
        found.append(session)
    return tuple(found)


def _unsponsored_to_owner(where: str, value: Any) -> bool:
    """Only ``false`` (or absent): the removals of unsponsored units stay unissued.

    pctrade's policy (issue 11): a PCER batch stands for removals that people's energy
    sponsored. What the rest of the project removes is the owner's, and the owner's way
    to credit it is the project's own registration (CCER), where it cannot be counted
    twice; issuing it as PCER here would mix the two and could double-count it.
    """
    if value is not None and _bool(where, value):
        raise RuleSetError(
            f"{where}: must be false — the removals of unsponsored sink units are recorded "
            "as unissued for the project and never issued as PCER (pctrade policy, issue 11: "
            "the owner credits them through the project's own CCER registration, so they "
            "cannot be counted twice)"
        )
    return False


_unsponsored_to_owner.optional = True  # type: ignore[attr-defined]


def _disclosures(where: str, value: Any) -> tuple[str, ...]:
    names: tuple[str, ...] = _words(re.compile(r"^[a-z_]+$"), allow_empty=True)(where, value)
    stray = [n for n in names if n not in POOL_DISCLOSURES]
    if stray:
        raise RuleSetError(
            f"{where}: {stray[0]!r} is not a pool term (use {', '.join(POOL_DISCLOSURES)})"
        )
    return names


def _never_below_floor(where: str, value: Any) -> bool:
    """Only ``false``: a pool never sells below the floor it disclosed (显失公平)."""
    if _bool(where, value):
        raise RuleSetError(
            f"{where}: must be false — a sale below a pool's disclosed floor would put its "
            "contributors in a manifestly unfair position (显失公平), whatever the rule set"
        )
    return False


HOLIDAYS_MAX = 366


def _sessions_or_none(where: str, value: Any) -> tuple[Session, ...]:
    """``[trading] sessions``: as ``_sessions``; absent, none (and nothing trades)."""
    return () if value is None else _sessions(where, value)


_sessions_or_none.optional = True  # type: ignore[attr-defined]


def _holidays(where: str, value: Any) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or len(value) > HOLIDAYS_MAX:
        raise RuleSetError(f"{where}: must be a list of at most {HOLIDAYS_MAX} TOML dates")
    for item in value:
        if not isinstance(item, date) or hasattr(item, "hour"):
            raise RuleSetError(f"{where}: {item!r} is not a TOML date such as 2026-10-01")
    if len(set(value)) != len(value):
        raise RuleSetError(f"{where}: lists a day twice")
    return frozenset(value)


_holidays.optional = True  # type: ignore[attr-defined]
PERIODS_MAX = 64
MONTH_DAY_RE = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def _deadlines(where: str, value: Any) -> Mapping[str, date]:
    """``[compliance] deadlines``: period label = the last day of its surrender, which
    falls after the period ends (a period is surrendered for once it is verified)."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, dict) or len(value) > PERIODS_MAX:
        raise RuleSetError(f"{where}: must be a table of at most {PERIODS_MAX} periods")
    out: dict[str, date] = {}
    for period, day in value.items():
        at = f"{where}.{period}"
        try:
            _, last = period_years(period)
        except ValidationError as exc:
            raise RuleSetError(f"{at}: {exc.message}") from exc
        if not isinstance(day, date) or hasattr(day, "hour"):
            raise RuleSetError(f"{at}: {day!r} is not a TOML date such as 2024-12-31")
        if day.year <= last:
            raise RuleSetError(f"{at}: the deadline {day} is not after the period ends")
        out[period] = day
    return MappingProxyType(dict(sorted(out.items())))


_deadlines.optional = True  # type: ignore[attr-defined]


def _month_day(where: str, value: Any) -> str:
    """A day of the year, "MM-DD" (29 February is refused: not every year has it)."""
    if not isinstance(value, str) or not MONTH_DAY_RE.match(value) or value == "02-29":
        raise RuleSetError(f'{where}: must be a day of the year such as "12-31", got {value!r}')
    try:
        date(2001, int(value[:2]), int(value[3:]))
    except ValueError as exc:
        raise RuleSetError(f"{where}: {value!r} is no day of the year") from exc
    return value


BENCHMARK_KEY_RE = re.compile(r"^[a-z]+_g_per_[a-z0-9]+$")
UNIT_TYPE_RE = re.compile(r"^[a-z0-9_]{1,48}$")


def _benchmarks(where: str, value: Any) -> Mapping[str, Mapping[str, int]]:
    """``[allocation] benchmarks``: unit type = { supply_g_per_mwh = …, heat_g_per_gj = … }."""
    if not isinstance(value, dict) or not value or len(value) > LIST_LEN_MAX:
        raise RuleSetError(f"{where}: must be a table of at most {LIST_LEN_MAX} unit types")
    out: dict[str, Mapping[str, int]] = {}
    for unit_type, figures in value.items():
        at = f"{where}.{unit_type}"
        if not UNIT_TYPE_RE.match(unit_type):
            raise RuleSetError(f"{at}: does not match {UNIT_TYPE_RE.pattern}")
        if not isinstance(figures, dict) or not figures:
            raise RuleSetError(f"{at}: must be a table such as {{ supply_g_per_mwh = 877_000 }}")
        for key in figures:
            if not BENCHMARK_KEY_RE.match(key):
                raise RuleSetError(f"{at}: {key!r} is not <output>_g_per_<unit>")
        out[unit_type] = MappingProxyType(
            {k: _POSITIVE(f"{at}.{k}", v) for k, v in sorted(figures.items())}
        )
    return MappingProxyType(dict(sorted(out.items())))


def _words_one(pattern: re.Pattern[str]) -> Check:
    """One word matching ``pattern``."""

    def check(where: str, value: Any) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise RuleSetError(f"{where}: {value!r} does not match {pattern.pattern}")
        return value

    return check


def _optional_words(pattern: re.Pattern[str]) -> Check:
    """A list of words that may be empty or absent (then: none)."""
    words = _words(pattern, allow_empty=True)

    def check(where: str, value: Any) -> tuple[str, ...]:
        return () if value is None else words(where, value)

    check.optional = True  # type: ignore[attr-defined]
    return check


def _contract_key(where: str, value: Any) -> tuple[str, ...]:
    """Which denomination parts make one contract; absent: instrument, jurisdiction, vintage."""
    if value is None:
        return ("instrument", "jurisdiction", "vintage")
    fields = _words(re.compile(r"^[a-z]+$"))(where, value)
    unknown = [f for f in fields if f not in CONTRACT_KEY_FIELDS]
    if unknown or "instrument" not in fields:
        raise RuleSetError(
            f"{where}: must name instrument and only {', '.join(CONTRACT_KEY_FIELDS)}"
        )
    return tuple(f for f in CONTRACT_KEY_FIELDS if f in fields)


_contract_key.optional = True  # type: ignore[attr-defined]
_BPS = _int(0, BPS)
_POSITIVE = _int(1)
_LOT_KEYS = ("quantity_step_g", "price_step_fen_per_t")
_LOT_BLOCK_KEY = "block_quantity_min_g"  # optional: the instrument's own block threshold
_LOT_KEYS_ALL = (*_LOT_KEYS, _LOT_BLOCK_KEY)


def _instrument_table(where: str, value: Any) -> dict[str, Any]:
    """A table keyed by instrument code (``PCER = …``); absent, empty."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > LIST_LEN_MAX:
        raise RuleSetError(f"{where}: must be a table of at most {LIST_LEN_MAX} instruments")
    for code in value:
        if not INSTRUMENT_RE.match(code):
            raise RuleSetError(f"{where}: {code!r} does not match {INSTRUMENT_RE.pattern}")
    return value


def _lots(where: str, value: Any) -> Mapping[str, Lot]:
    """``[trading] lots``: ``PCER = { quantity_step_g = …, price_step_fen_per_t = … }``."""
    found = {}
    for code, body in _instrument_table(where, value).items():
        at = f"{where}.{code}"
        if not isinstance(body, dict) or not set(_LOT_KEYS) <= set(body) <= set(_LOT_KEYS_ALL):
            raise RuleSetError(
                f"{at}: must set exactly {' and '.join(_LOT_KEYS)} (and may set {_LOT_BLOCK_KEY})"
            )
        block = body.get(_LOT_BLOCK_KEY)
        step, tick = (_POSITIVE(f"{at}.{k}", body[k]) for k in _LOT_KEYS)
        own_block = None if block is None else _POSITIVE(f"{at}.{_LOT_BLOCK_KEY}", block)
        found[code] = Lot(step, tick, own_block)
    return MappingProxyType(found)


_lots.optional = True  # type: ignore[attr-defined]


def _holding_minimums(where: str, value: Any) -> Mapping[str, int]:
    """``[eligibility] instrument_holding_min_g``: ``PCER = 10_000``."""
    table = _instrument_table(where, value)
    return MappingProxyType({code: _int(0)(f"{where}.{code}", g) for code, g in table.items()})


_holding_minimums.optional = True  # type: ignore[attr-defined]
_SPECS: dict[str, tuple[type[Any], dict[str, Check]]] = {
    "trading": (
        Trading,
        {
            "quantity_step_g": _POSITIVE,
            "price_step_fen_per_t": _POSITIVE,
            "order_quantity_max_g": _POSITIVE,
            "price_limit_bps": _BPS,
            "block_quantity_min_g": _POSITIVE,
            "block_price_limit_bps": _BPS,
            "resale_delay_days": _int(0, 30),
            "position_limit_g": _optional(_POSITIVE),
            "large_holder_report_g": _optional(_POSITIVE),
            "sessions": _sessions_or_none,
            "holidays": _holidays,
            "contract_key": _contract_key,
            "lots": _lots,
        },
    ),
    "positions": (
        Positions,
        {
            "instruments": _words(INSTRUMENT_RE),
            "limit_g": _optional(_POSITIVE),
            "emitter_limit_above_allocation_g": _optional(_int(0)),
            "disclosure_g": _optional(_POSITIVE),
            "emitter_disclosure_above_allocation_g": _optional(_int(0)),
        },
    ),
    "surveillance": (
        Surveillance,
        {
            "related_kinds": _words(RELATION_KIND_RE),
            "wash_trades_min": _int(1, 10**6),
            "wash_volume_g_min": _POSITIVE,
            "layering_orders_min": _int(2, 10**4),
            "layering_window_s": _int(1, DAY_S),
            "layering_cancel_s_max": _int(1, DAY_S),
            "layering_away_bps_min": _int(0, BPS - 1),
            "layering_cancelled_bps_min": _int(1, BPS),
            "spike_bps": _int(1, 100 * BPS),
            "spike_window_s": _int(1, DAY_S),
            "concentration_bps": _int(1, BPS - 1),
            "concentration_day_volume_g_min": _POSITIVE,
        },
    ),
    "offsets": (
        Offsets,
        {"cap_bps": _BPS, "cap_basis": _enum(CapBasis), "types": _words(INSTRUMENT_RE)},
    ),
    "fees": (
        Fees,
        {
            "trade_fee_cap_bps": _BPS,
            "pool_fee_cap_bps": _BPS,
            "trade_fee_bps": _optional(_BPS),
        },
    ),
    "eligibility": (
        Eligibility,
        {
            "real_name_verified": _bool,
            "age_min_y": _int(0, 150),
            "risk_assessment": _bool,
            "holding_min_g": _int(0),
            "institution_net_assets_min_fen": _optional(_int(0)),
            "instrument_holding_min_g": _holding_minimums,
        },
    ),
    "energy": (
        Energy,
        {
            "expiry_s": _int(3_600, 366 * 86_400),
            "partner_min_events": _int(1, 10**9),
            "partner_flagged_bps_max": _BPS,
        },
    ),
    "sinks": (
        Sinks,
        {
            "buffer_bps": _buffer_rates,
            "methodologies": _words(SINK_METHODOLOGY_RE),
            "issue_unsponsored_to_owner": _unsponsored_to_owner,
            "energy_per_removal_bps": _optional(_int(1, 100 * BPS)),
        },
    ),
    "carbon_inclusive": (
        CarbonInclusive,
        {"methodologies": _words(METHODOLOGY_RE), "person_min_g": _POSITIVE},
    ),
    "pools": (
        Pools,
        {
            "disclosures": _disclosures,
            "lock_in_days_max": _int(0, 3_660),
            "withdrawal_notice_days_max": _int(0, 3_660),
            "payout_delay_days_max": _int(0, 3_660),
            "sale_below_floor_allowed": _never_below_floor,
        },
    ),
    "block_trades": (
        BlockTrades,
        {"sessions": _sessions, "proposal_expiry_max_s": _int(60, SECONDS_PER_DAY)},
    ),
    "compliance": (
        Compliance,
        {
            "deadlines": _deadlines,
            "annual_deadline": _month_day,
            "late_surrender_allowed": _bool,
            "banking": _bool,
            "borrowing_shortfall_min_bps": _optional(_BPS),
            "borrowing_max_bps": _optional(_int(1, BPS)),
            "preallocation_bps": _optional(_int(1, BPS)),
            "offset_vintage_min": _optional(_int(2000, 2100)),
            "offset_local_min_bps": _optional(_int(1, BPS)),
            "offset_methodologies": _optional_words(SINK_METHODOLOGY_RE),
            "accepts": _words(JURISDICTION_RE),
            "penalty_fine_min_fen": _optional(_int(0)),
            "penalty_fine_max_fen": _optional(_int(0)),
            "penalty_market_value_multiple_min": _optional(_int(1, 100)),
            "penalty_market_value_multiple_max": _optional(_int(1, 100)),
            "penalty_market_value_fine_max_fen": _optional(_int(1)),
            "penalty_deduction_multiple": _optional(_int(1, 100)),
            # a month to ten years of prices; longer would value a shortfall at a
            # market that is no longer there
            "penalty_price_window_months": _optional(_int(1, 120)),
            "penalty_price_window_end": _optional(_enum(PriceWindowEnd)),
        },
    ),
    "allocation": (
        Allocation,
        {
            "sector": _words_one(re.compile(r"^[a-z_]{1,32}$")),
            "benchmarks": _benchmarks,
            "dynamic_adjustment": _bool,
            "adjustment_gap_max_bps": _optional(_int(0, BPS)),
            "adjustment_surplus_max_bps": _optional(_int(0, BPS)),
        },
    ),
    "auctions": (
        Auctions,
        {
            "pricing": _enum(AuctionPricing),
            "bid_revision_allowed": _bool,
            "bid_quantity_min_g": _POSITIVE,
            "bid_quantity_step_g": _POSITIVE,
            "price_step_fen_per_t": _POSITIVE,
            "reserve_published": _bool,
            "bidder_share_max_bps": _optional(_int(1, BPS)),
        },
    ),
}
_TOP_KEYS = frozenset(
    {"jurisdiction", "iso_code", "name", "effective_from", "issuance_paths", "notes", "sources"}
)
_SOURCE_KEYS = frozenset({"figure", "publisher", "assumption", "note"})


def load_text(text: str, where: str = "rule set") -> RuleSet:
    """Parse one rule-set file's text; ``where`` names it in errors, which end with the
    line of the key they are about (``rules.lines``)."""
    try:
        return _load(text, where)
    except RuleSetError as exc:
        detail = exc.message.removeprefix(f"{where}: ")
        line = line_of(text, detail) if "(at line " not in detail else None
        if line is None:
            raise
        raise RuleSetError(f"{exc.message} (line {line})") from exc


def _load(text: str, where: str) -> RuleSet:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError(f"{where}: not valid TOML ({exc})") from exc
    unknown = set(raw) - _TOP_KEYS - set(SECTIONS)
    if unknown:
        raise RuleSetError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    sources = _sources(raw.get("sources"), where)
    sections = {name: _section(name, raw[name], sources, where) for name in SECTIONS if name in raw}
    rule_set = RuleSet(
        jurisdiction=_match(JURISDICTION_RE, _required(raw, "jurisdiction", where), where),
        iso_code=_match(ISO_RE, _required(raw, "iso_code", where), where),
        name=_text(f"{where}: name", _required(raw, "name", where)),
        effective_from=_date(_required(raw, "effective_from", where), where),
        issuance_paths=frozenset(
            _enum(IssuancePath)(f"{where}: issuance_paths", p)
            for p in _words(re.compile(r"^[a-z_]+$"), allow_empty=True)(
                f"{where}: issuance_paths", raw.get("issuance_paths", [])
            )
        ),
        digest=hashlib.sha256(text.encode()).hexdigest(),
        sources=MappingProxyType(sources),
        notes=tuple(_text(f"{where}: notes", n) for n in raw.get("notes", [])),
        **sections,
    )
    check_consistent(rule_set, where)
    return rule_set


def _required(raw: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise RuleSetError(f"{where}: missing key {key!r}")
    return raw[key]


def _match(pattern: re.Pattern[str], value: Any, where: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise RuleSetError(f"{where}: {value!r} does not match {pattern.pattern}")
    return value


def _date(value: Any, where: str) -> date:
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise RuleSetError(f"{where}: effective_from must be a TOML date such as 2021-02-01")
    return value


def _sources(raw: Any, where: str) -> dict[str, Source]:
    if not isinstance(raw, dict) or not raw:
        raise RuleSetError(f"{where}: needs at least one [sources.*] table")
    found = {}
    for key, body in raw.items():
        at = f"{where}: sources.{key}"
        if not isinstance(body, dict):
            raise RuleSetError(f"{at}: must be a table")
        unknown = set(body) - _SOURCE_KEYS
        if unknown:
            raise RuleSetError(f"{at}: unknown key {sorted(unknown)[0]!r}")
        found[key] = Source(
            _text(f"{at}.figure", _required(body, "figure", at)),
            _text(f"{at}.publisher", _required(body, "publisher", at)),
            _bool(f"{at}.assumption", _required(body, "assumption", at)),
            _text(f"{at}.note", body["note"]) if "note" in body else "",
        )
    return found


def _section(name: str, raw: Any, sources: Mapping[str, Source], where: str) -> Any:
    at = f"{where}: [{name}]"
    if not isinstance(raw, dict):
        raise RuleSetError(f"{at}: must be a table")
    kind, spec = _SPECS[name]
    unknown = set(raw) - set(spec) - {"sources", "assumed"}
    if unknown:
        raise RuleSetError(f"{at}: unknown key {sorted(unknown)[0]!r}")
    cited = _cited(raw, spec, sources, at)
    values = {}
    for key, check in spec.items():
        if key not in raw and not getattr(check, "optional", False):
            raise RuleSetError(f"{at}: missing key {key!r}")
        values[key] = check(f"{at}.{key}", raw.get(key))
    return kind(**values, cited=cited)


def _cited(raw: Mapping[str, Any], spec: Mapping[str, Check], sources: Any, at: str) -> Cited:
    named = _words(re.compile(r"^[a-z0-9_]+$"))(f"{at}.sources", _required(raw, "sources", at))
    missing = [s for s in named if s not in sources]
    if missing:
        raise RuleSetError(f"{at}.sources: no [sources.{missing[0]}] table")
    assumed = _words(re.compile(r"^[a-z_]+$"), allow_empty=True)(
        f"{at}.assumed", raw.get("assumed", [])
    )
    stray = [a for a in assumed if a not in spec]
    if stray:
        raise RuleSetError(f"{at}.assumed: {stray[0]!r} is not a field of this section")
    return Cited(named, frozenset(assumed))
