"""The one definition of the daily pipeline, as SQL both engines run verbatim.

The rules are those of `pctrade.behaviour.quantify` (read its docstring
first), expressed set-based over five relations:

- `events` — the canonical event file plus `row_no`;
- `behaviours` — one row per behaviour type of the methodologies in force,
  with its rank (id order) inside its family;
- `units` — one row per (behaviour, accepted unit) with its multiplier and
  the largest quantity accepted in that unit;
- `families` — one row per methodology with its caps;
- `ytd` — grams credited so far this year per (person, family).

The text is written in the common subset of DuckDB and Spark SQL (window
functions, `FILTER` on aggregates, `hash(...)`, `LEAST`/`GREATEST`). Only
three things are rendered per dialect: integer division (`//` vs `div`), how
a step is materialised (a DuckDB temporary table; a cached Spark view), and
the literal parameters (day bounds and as-of time, always integers we
format ourselves, never user text). The width of the cap step depends on
the catalogue (the most behaviours in one family), not on the engine. Each
step is a `Step`; an engine runs the steps in order, then reads the outputs
(see `plan`). `hash` differs between the engines, but it only nominates
duplicate candidates, which are then compared exactly, so results do not.

Arithmetic is in 64-bit integers throughout. Inputs that could overflow are
rejected first: quantities are compared with a per-unit maximum before any
multiplication, and `end_ms - start_ms` is only computed for events whose
start lies in the day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

import pyarrow as pa

from pctrade.behaviour.model import MS_PER_DAY, MS_PER_HOUR, UG_PER_G, Catalogue
from pctrade.behaviour.reasons import CapFlag, Hold, Rejection
from pctrade.behaviour.validation import DayWindow

Dialect = Literal["duckdb", "spark"]


@dataclass(frozen=True, slots=True)
class Step:
    """One named intermediate relation; `materialise` ones are computed once."""

    name: str
    sql: str
    materialise: bool = False


BEHAVIOURS = pa.schema(
    [
        pa.field("behaviour", pa.string()),
        pa.field("family", pa.string()),
        pa.field("methodology", pa.string()),
        pa.field("rank_in_family", pa.int64()),
        pa.field("base_unit", pa.string()),
        pa.field("factor_ug", pa.int64()),
        pa.field("rate_min_per_h", pa.int64()),
        pa.field("rate_max_per_h", pa.int64()),
        pa.field("trip", pa.bool_()),
        pa.field("requires_evidence", pa.bool_()),
        pa.field("cap_day_g", pa.int64()),
        pa.field("cap_year_g", pa.int64()),
    ]
)
UNITS = pa.schema(
    [
        pa.field("behaviour", pa.string()),
        pa.field("unit", pa.string()),
        pa.field("multiplier", pa.int64()),
        pa.field("max_quantity", pa.int64()),
    ]
)


def behaviours_table(catalogue: Catalogue) -> pa.Table:
    rows = [
        {
            "behaviour": b.id,
            "family": m.family,
            "methodology": m.key,
            "rank_in_family": rank,
            "base_unit": b.base_unit,
            "factor_ug": b.avoided_ug_per_unit,
            "rate_min_per_h": b.rate_min_per_h,
            "rate_max_per_h": b.rate_max_per_h,
            "trip": b.trip,
            "requires_evidence": m.requires_evidence,
            "cap_day_g": m.cap_day_g,
            "cap_year_g": m.cap_year_g,
        }
        for m in catalogue.methodologies
        for rank, b in enumerate(sorted(m.behaviours, key=lambda b: b.id), start=1)
    ]
    return pa.Table.from_pylist(rows, schema=BEHAVIOURS)


def units_table(catalogue: Catalogue) -> pa.Table:
    rows = [
        {
            "behaviour": b.id,
            "unit": unit,
            "multiplier": mult,
            "max_quantity": b.max_quantity_in(unit),
        }
        for b in catalogue.behaviours
        for unit, mult in b.units.items()
    ]
    return pa.Table.from_pylist(rows, schema=UNITS)


FAMILIES = pa.schema(
    [
        pa.field("family", pa.string()),
        pa.field("methodology", pa.string()),
        pa.field("cap_day_g", pa.int64()),
        pa.field("cap_year_g", pa.int64()),
    ]
)


def families_table(catalogue: Catalogue) -> pa.Table:
    rows = [
        {
            "family": m.family,
            "methodology": m.key,
            "cap_day_g": m.cap_day_g,
            "cap_year_g": m.cap_year_g,
        }
        for m in catalogue.methodologies
    ]
    return pa.Table.from_pylist(rows, schema=FAMILIES)


def ranks_needed(catalogue: Catalogue) -> int:
    """The most behaviours any family has: the width of the cap step."""
    return max(len(m.behaviours) for m in catalogue.methodologies)


_EVENT_COLS: Final = (
    "e.row_no, e.partner_id, e.event_id, e.person_id, e.behaviour, "
    "e.start_ms, e.end_ms, e.quantity, e.unit, e.evidence_ref"
)

# Deduplication only needs the keys that occur more than once. Grouping by a
# hash of the key is much cheaper than grouping by the two strings; a hash
# collision only makes a candidate, and candidates are then compared exactly.
_DUP_HASHES = """
SELECT hash(partner_id, event_id) AS key_hash
FROM events
GROUP BY hash(partner_id, event_id)
HAVING COUNT(*) > 1
"""

_DUP_ROWS = """
SELECT e.*
FROM events e
JOIN dup_hashes d ON hash(e.partner_id, e.event_id) = d.key_hash
"""

_DUP_KEYS = """
SELECT partner_id, event_id, MIN(row_no) AS first_row_no
FROM dup_rows
GROUP BY partner_id, event_id
HAVING COUNT(*) > 1
"""

# Identical copies collapse under DISTINCT (which treats NULLs as equal, like
# the Python reference's tuple comparison); more than one distinct content
# for a key is a conflict.
_DUP_CONFLICTS = """
SELECT partner_id, event_id
FROM (
  SELECT DISTINCT partner_id, event_id, person_id, behaviour, start_ms,
         end_ms, quantity, unit, evidence_ref
  FROM dup_rows
) copies
GROUP BY partner_id, event_id
HAVING COUNT(*) > 1
"""

_DUPS = """
SELECT k.partner_id, k.event_id, k.first_row_no, c.partner_id IS NOT NULL AS conflict
FROM dup_keys k
LEFT JOIN dup_conflicts c ON k.partner_id = c.partner_id AND k.event_id = c.event_id
"""

_REASON = f"""
  CASE
    WHEN e.partner_id IS NULL OR e.partner_id = '' OR e.event_id IS NULL OR e.event_id = ''
      OR e.person_id IS NULL OR e.person_id = '' OR e.behaviour IS NULL OR e.behaviour = ''
      OR e.unit IS NULL OR e.unit = '' OR e.start_ms IS NULL OR e.end_ms IS NULL
      OR e.quantity IS NULL THEN '{Rejection.MISSING_FIELD}'
    WHEN b.behaviour IS NULL THEN '{Rejection.UNKNOWN_BEHAVIOUR}'
    WHEN b.requires_evidence AND (e.evidence_ref IS NULL OR e.evidence_ref = '')
      THEN '{Rejection.MISSING_EVIDENCE}'
    WHEN u.unit IS NULL THEN '{Rejection.UNKNOWN_UNIT}'
    WHEN e.quantity <= 0 THEN '{Rejection.NON_POSITIVE_QUANTITY}'
    WHEN e.quantity > u.max_quantity THEN '{Rejection.QUANTITY_ABOVE_MAX}'
    WHEN e.end_ms < e.start_ms THEN '{Rejection.END_BEFORE_START}'
    WHEN e.start_ms < {{day_start_ms}} OR e.start_ms >= {{day_end_ms}}
      THEN '{Rejection.NOT_ON_DAY}'
    WHEN e.end_ms - e.start_ms > {MS_PER_DAY} THEN '{Rejection.DURATION_TOO_LONG}'
    WHEN e.end_ms > {{as_of_ms}} THEN '{Rejection.FUTURE_TIMESTAMP}'
    WHEN d.conflict THEN '{Rejection.DUPLICATE_EVENT_CONFLICT}'
    WHEN d.first_row_no IS NOT NULL AND e.row_no <> d.first_row_no
      THEN '{Rejection.DUPLICATE_EVENT}'
  END"""

# `quantity_base` and `duration_ms` are clamped into the ranges an accepted
# event can have, so that no product below can overflow 64 bits even when an
# engine evaluates a filter before `reason IS NULL` (Spark may reorder
# predicates). For accepted events the clamps change nothing.
_CLASSIFIED = f"""
SELECT e.row_no, e.person_id, e.start_ms, e.end_ms,
  b.family, b.rank_in_family, b.factor_ug, b.rate_min_per_h, b.rate_max_per_h, b.trip,
  LEAST(GREATEST(e.quantity, 0), u.max_quantity) * u.multiplier AS quantity_base,
  LEAST(
    LEAST(GREATEST(e.end_ms, {{day_start_ms}}), {{day_end_ms}} + {MS_PER_DAY})
      - LEAST(GREATEST(e.start_ms, {{day_start_ms}}), {{day_end_ms}}),
    {MS_PER_DAY}) AS duration_ms,
  {_REASON} AS reason
FROM events e
LEFT JOIN behaviours b ON e.behaviour = b.behaviour
LEFT JOIN units u ON e.behaviour = u.behaviour AND e.unit = u.unit
LEFT JOIN dups d ON e.partner_id = d.partner_id AND e.event_id = d.event_id
"""

_REJECTED_ROWS = """
SELECT row_no, reason FROM classified WHERE reason IS NOT NULL
"""

_ACCEPTED = f"""
SELECT row_no, person_id, start_ms, end_ms, family, rank_in_family, trip, quantity_base,
  quantity_base * factor_ug AS avoided_ug,
  (rate_max_per_h IS NOT NULL
     AND quantity_base * {MS_PER_HOUR} > rate_max_per_h * duration_ms)
  OR (rate_min_per_h IS NOT NULL
     AND quantity_base * {MS_PER_HOUR} < rate_min_per_h * duration_ms)
    AS too_fast_or_slow
FROM classified
WHERE reason IS NULL
"""

# Trips are ordered by (start, end, row_no) per person; a trip overlaps if it
# starts before any earlier trip ended, or the next trip starts before it ends.
# Only the trip subset is sorted, and only the (few) held rows are stored:
# the credited majority flows straight from `accepted` into the aggregation.
_HOLDS = f"""
SELECT row_no, family, avoided_ug, hold
FROM (
  SELECT row_no, family, avoided_ug,
    CASE
      WHEN too_fast_or_slow THEN '{Hold.IMPLAUSIBLE_SPEED}'
      WHEN COALESCE(latest_earlier_end_ms, start_ms) > start_ms
        OR COALESCE(next_start_ms, end_ms) < end_ms THEN '{Hold.OVERLAPPING_TRIP}'
    END AS hold
  FROM (
    SELECT row_no, family, avoided_ug, start_ms, end_ms, too_fast_or_slow,
      MAX(end_ms) OVER (PARTITION BY person_id ORDER BY start_ms, end_ms, row_no
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest_earlier_end_ms,
      LEAD(start_ms) OVER (PARTITION BY person_id ORDER BY start_ms, end_ms, row_no)
        AS next_start_ms
    FROM accepted
    WHERE trip
  ) trips
) judged_trips
WHERE hold IS NOT NULL
UNION ALL
SELECT row_no, family, avoided_ug, '{Hold.IMPLAUSIBLE_SPEED}' AS hold
FROM accepted
WHERE NOT trip AND too_fast_or_slow
"""

_CREDITED = """
SELECT a.row_no, a.person_id, a.family, a.rank_in_family, a.quantity_base, a.avoided_ug
FROM accepted a
LEFT JOIN holds h ON a.row_no = h.row_no
WHERE h.row_no IS NULL
"""


def _per_family(ranks: int) -> str:
    """One row per (person, family) with each behaviour's tallies side by side.

    Caps are filled in behaviour-rank order; laying a family's behaviours out
    as columns turns the greedy fill into plain column arithmetic, so no
    window (and no sort) is needed.
    """
    tallies = []
    for k in range(1, ranks + 1):
        only = f"FILTER (WHERE rank_in_family = {k})"
        tallies.append(
            f"CAST(COUNT(*) {only} AS BIGINT) AS n_{k}, "
            f"CAST(SUM(quantity_base) {only} AS BIGINT) AS q_{k}, "
            f"CAST(COALESCE(SUM(avoided_ug) {only}, 0) AS BIGINT) AS a_{k}"
        )
    return (
        f"SELECT person_id, family, {', '.join(tallies)} FROM credited GROUP BY person_id, family"
    )


def _before(prefix: str, k: int) -> str:
    """The sum of `prefix_1 .. prefix_(k-1)` (0 for the first rank)."""
    return " + ".join([f"{prefix}_{i}" for i in range(1, k)]) or "0"


def _day_capped(ranks: int) -> str:
    columns = [
        f"LEAST(p.a_{k}, GREATEST(f.cap_day_g * {UG_PER_G} - ({_before('p.a', k)}), 0)) AS d_{k}"
        for k in range(1, ranks + 1)
    ]
    return (
        f"SELECT p.*, {', '.join(columns)}, "
        "GREATEST(f.cap_year_g - COALESCE(y.credited_g, 0), 0) AS year_room_g "
        "FROM per_family p JOIN families f ON p.family = f.family "
        "LEFT JOIN ytd y ON p.person_id = y.person_id AND p.family = y.family"
    )


def _floored(ranks: int) -> str:
    columns = [f"{{intdiv:d_{k}}} AS g_{k}" for k in range(1, ranks + 1)]
    return f"SELECT *, {', '.join(columns)} FROM day_capped"


def _year_capped(ranks: int) -> str:
    columns = [
        f"LEAST(g_{k}, GREATEST(year_room_g - ({_before('g', k)}), 0)) AS c_{k}"
        for k in range(1, ranks + 1)
    ]
    return f"SELECT *, {', '.join(columns)} FROM floored"


def _energy(ranks: int) -> str:
    """Unfold the per-family columns back into one row per behaviour."""
    parts = [
        f"""
SELECT DATE '{{day}}' AS day, y.person_id, y.family, b.methodology, b.behaviour, b.base_unit,
  y.n_{k} AS events_n, y.q_{k} AS quantity, b.factor_ug AS factor_ug_per_unit,
  y.a_{k} AS avoided_ug,
  y.a_{k} - y.d_{k} + (y.g_{k} - y.c_{k}) * {UG_PER_G} AS cap_forfeit_ug,
  y.d_{k} - y.g_{k} * {UG_PER_G} AS remainder_ug,
  y.c_{k} AS credited_g,
  CASE WHEN y.c_{k} < y.g_{k} THEN '{CapFlag.OVER_YEARLY_CAP}'
       WHEN y.d_{k} < y.a_{k} THEN '{CapFlag.OVER_DAILY_CAP}' END AS cap_flag
FROM year_capped y JOIN behaviours b ON y.family = b.family AND b.rank_in_family = {k}
WHERE y.n_{k} > 0"""
        for k in range(1, ranks + 1)
    ]
    return "\nUNION ALL\n".join(parts)


_REJECTED = f"""
SELECT {_EVENT_COLS}, c.reason, CAST(NULL AS STRING) AS detail
FROM events e JOIN rejected_rows c ON e.row_no = c.row_no
"""

_HELD = f"""
SELECT {_EVENT_COLS}, f.methodology, h.hold AS reason, h.avoided_ug
FROM events e
JOIN holds h ON e.row_no = h.row_no
JOIN families f ON h.family = f.family
"""

_CREDITED_EVENTS = """
SELECT e.row_no, e.partner_id, e.event_id, e.person_id, e.behaviour, f.methodology,
  c.quantity_base, c.avoided_ug
FROM events e
JOIN credited c ON e.row_no = c.row_no
JOIN families f ON c.family = f.family
"""


def steps(ranks: int) -> tuple[Step, ...]:
    """The pipeline's intermediate relations, in dependency order."""
    return (
        Step("dup_hashes", _DUP_HASHES, materialise=True),
        Step("dup_rows", _DUP_ROWS, materialise=True),
        Step("dup_keys", _DUP_KEYS),
        Step("dup_conflicts", _DUP_CONFLICTS),
        Step("dups", _DUPS, materialise=True),
        Step("classified", _CLASSIFIED, materialise=True),
        Step("rejected_rows", _REJECTED_ROWS),
        Step("accepted", _ACCEPTED),
        Step("holds", _HOLDS, materialise=True),
        Step("credited", _CREDITED),
        Step("per_family", _per_family(ranks)),
        Step("day_capped", _day_capped(ranks)),
        Step("floored", _floored(ranks)),
        Step("year_capped", _year_capped(ranks), materialise=True),
    )


def outputs(ranks: int) -> dict[str, str]:
    return {
        "energy": _energy(ranks),
        "rejected": _REJECTED,
        "held": _HELD,
        "credited_events": _CREDITED_EVENTS,
    }


_INTDIV_PLACEHOLDER: Final = re.compile(r"\{intdiv:(\w+)\}")
"""`{intdiv:col}` stands for `col` divided by 10^6 (micrograms to whole grams)."""


def render(sql: str, dialect: Dialect, day: date, window: DayWindow) -> str:
    """Fill in the dialect's integer division and the run's integer parameters."""
    text = _INTDIV_PLACEHOLDER.sub(
        lambda found: _intdiv(dialect, found.group(1), str(UG_PER_G)), sql
    )
    return text.format(
        day=day.isoformat(),
        day_start_ms=int(window.start_ms),
        day_end_ms=int(window.end_ms),
        as_of_ms=int(window.as_of_ms),
    )


def _intdiv(dialect: Dialect, numerator: str, denominator: str) -> str:
    """Integer division of non-negative operands (both dialects truncate)."""
    operator = "//" if dialect == "duckdb" else "div"
    return f"({numerator} {operator} {denominator})"


def rendered_steps(dialect: Dialect, day: date, window: DayWindow, ranks: int) -> tuple[Step, ...]:
    return tuple(
        Step(step.name, render(step.sql, dialect, day, window), step.materialise)
        for step in steps(ranks)
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything an engine runs for one day: reference tables, steps and outputs."""

    tables: dict[str, pa.Table]
    steps: tuple[Step, ...]
    outputs: dict[str, str]


def plan(catalogue: Catalogue, dialect: Dialect, day: date, window: DayWindow) -> Plan:
    ranks = ranks_needed(catalogue)
    return Plan(
        tables={
            "behaviours": behaviours_table(catalogue),
            "units": units_table(catalogue),
            "families": families_table(catalogue),
        },
        steps=rendered_steps(dialect, day, window, ranks),
        outputs={name: render(sql, dialect, day, window) for name, sql in outputs(ranks).items()},
    )
