"""The one definition of the daily pipeline, as SQL both engines run.

The rules are those of `pctrade.energy.behaviour.quantify` (read its docstring
first), expressed set-based over six relations:

- `events` — the canonical event file plus `row_no`;
- `behaviours` — one row per behaviour type of the methodologies in force,
  with its rank (id order) inside its family;
- `units` — one row per (behaviour, accepted unit) with its multiplier and
  the largest quantity accepted in that unit;
- `families` — one row per methodology with its caps;
- `ytd` — grams credited so far this year per (person, family);
- `seen` — (partner, event id, content digest) of every event an earlier run
  credited or held (the registry keeps them), so a later copy is a duplicate.

The text is written in the common subset of DuckDB and Spark SQL (window
functions, `FILTER` on aggregates, `hash(...)`, `md5`, `LEAST`/`GREATEST`).
Rendered per dialect are only: integer division (`//` vs `div`), a 32-bit hash
(`{hash32:...}`), the sum of the tallies (`{sum}`, see `energy_steps.tallies`),
whether two behaviours' counts share one of those sums (DuckDB, when the file's
size proves it exact: `energy_steps.CountColumns`), how a step is materialised
(a DuckDB temporary table; a cached Spark view), and the
literal parameters (day bounds, as-of time, whether the day is credited
already, the partner anomaly threshold: integers and booleans we format
ourselves, never user text). One step takes each engine's own route to the
same relation, measured faster on each: how repeated key hashes are found
(`_DUP_HASHES`); the tests compare every output of the two engines row for
row. The width of the cap step depends on the catalogue (the most behaviours
in one family), not on the engine. Each step is a `Step`; an engine runs the
steps in order, then reads the outputs (see `plan`). Hashes differ between the
engines, but they only nominate candidates (duplicate keys, people whose trips
may overlap), which exact rules then judge, so results do not.

Cost: each step that reads the whole file pays for its scan and joins before
any work, so the file is read as few times as the rules allow: the key hashes
(`dup_hashes`), the copies (`dup_rows`), the trips for the overlap screen
(`overlap_people`), one judging pass for everything that is not simply
credited (`candidates`) and the tallies (`per_family`), which read four
columns, plus a count per partner (and the credited events when asked for).
Only small relations are stored (duplicates, candidates, holds); the accepted
majority is never materialised event by event. Where the time goes on a
21.2 M-event day, per step, is in the README (behaviour bench).

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

from pctrade.energy.behaviour.model import (
    MS_PER_DAY,
    MS_PER_HOUR,
    UG_PER_G,
    Catalogue,
    PartnerAnomaly,
)
from pctrade.energy.behaviour.reasons import NEUTRAL_REJECTIONS, Hold, Rejection
from pctrade.energy.behaviour.validation import DayWindow
from pctrade.energy.pipeline import energy_steps
from pctrade.energy.pipeline.catalogue_tables import (
    behaviours_table,
    families_table,
    ranks_needed,
    units_table,
)
from pctrade.kernel.limits import INT64_MAX
from pctrade.kernel.units import BPS

Dialect = Literal["duckdb", "spark"]


@dataclass(frozen=True, slots=True)
class Step:
    """One named intermediate relation; `materialise` ones are computed once."""

    name: str
    sql: str
    materialise: bool = False


_EVENT_COLS: Final = (
    "e.row_no, e.partner_id, e.event_id, e.person_id, e.behaviour, "
    "e.start_ms, e.end_ms, e.quantity, e.unit, e.evidence_ref"
)
_PLAIN_EVENT_COLS: Final = _EVENT_COLS.replace("e.", "")

# The canonical text of an event's content, hashed: `Event.content_digest` in SQL.
_DIGEST = """md5(concat_ws(chr(31), e.person_id, e.behaviour, CAST(e.start_ms AS STRING),
  CAST(e.end_ms AS STRING), CAST(e.quantity AS STRING), e.unit,
  CASE WHEN e.evidence_ref IS NULL THEN '-' ELSE concat('+', e.evidence_ref) END))"""

# Deduplication only needs the keys that occur more than once. A 32-bit hash
# of the key nominates them: a collision only makes a candidate, and
# candidates are then compared exactly (`dup_keys`), so results do not depend
# on the hash. How the repeated hashes are found is the one step written per
# engine, because the fast way differs: DuckDB sorts the hashes and compares
# neighbours (21.2 M events: 3.0 CPU-s against 4.8 for grouping 21 M distinct
# 64-bit hashes), while a global sort on Spark would funnel every row through
# one task, so Spark groups by the hash.
_DUP_HASHES: Final[dict[Dialect, str]] = {
    "duckdb": """
SELECT DISTINCT key_hash
FROM (
  SELECT key_hash, LAG(key_hash) OVER (ORDER BY key_hash) AS previous_hash
  FROM (SELECT {hash32:partner_id, event_id} AS key_hash FROM events) keys
) sorted_keys
WHERE key_hash = previous_hash
""",
    "spark": """
SELECT {hash32:partner_id, event_id} AS key_hash
FROM events
GROUP BY {hash32:partner_id, event_id}
HAVING COUNT(*) > 1
""",
}

_DUP_ROWS = """
SELECT e.*
FROM events e
JOIN dup_hashes d ON {hash32:e.partner_id, e.event_id} = d.key_hash
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

# The few rows that are copies, whole: of another row of this file
# (`dup_reason`), or of an event credited or held by an earlier run
# (`seen_reason`, from the `seen` relation of remembered keys and content
# digests). A row is one group (`row_no` is unique; GROUP BY takes NULLs as equal).
_VERDICT_EVENTS = f"""
SELECT {_PLAIN_EVENT_COLS}, MAX(seen_reason) AS seen_reason, MAX(dup_reason) AS dup_reason
FROM (
  SELECT {_EVENT_COLS.replace("e.", "r.")}, CAST(NULL AS STRING) AS seen_reason,
    CASE WHEN c.partner_id IS NOT NULL THEN '{Rejection.DUPLICATE_EVENT_CONFLICT}'
         WHEN r.row_no <> k.first_row_no THEN '{Rejection.DUPLICATE_EVENT}' END AS dup_reason
  FROM dup_rows r
  JOIN dup_keys k ON r.partner_id = k.partner_id AND r.event_id = k.event_id
  LEFT JOIN dup_conflicts c ON r.partner_id = c.partner_id AND r.event_id = c.event_id
  UNION ALL
  SELECT {_EVENT_COLS},
    CASE WHEN s.digest = {_DIGEST} THEN '{Rejection.DUPLICATE_EVENT_PROCESSED}'
         ELSE '{Rejection.DUPLICATE_EVENT_PROCESSED_CONFLICT}' END AS seen_reason,
    CAST(NULL AS STRING) AS dup_reason
  FROM events e
  JOIN seen s ON e.partner_id = s.partner_id AND e.event_id = s.event_id
) v
GROUP BY {_PLAIN_EVENT_COLS}
"""

_VERDICTS = "SELECT row_no, seen_reason, dup_reason FROM verdict_events"

# The few rows that are not simply credited get their reason here, in rule
# order; the accepted majority never builds a string (see `_acceptable`). `j`
# is a judged row (its unit's columns are NULL when the pair (behaviour, unit)
# is unknown) and `b` its behaviour, looked up by name alone.
_REASON = f"""
  CASE
    WHEN j.partner_id IS NULL OR j.partner_id = '' OR j.event_id IS NULL OR j.event_id = ''
      OR j.person_id IS NULL OR j.person_id = '' OR j.behaviour IS NULL OR j.behaviour = ''
      OR j.unit IS NULL OR j.unit = '' OR j.start_ms IS NULL OR j.end_ms IS NULL
      OR j.quantity IS NULL THEN '{Rejection.MISSING_FIELD}'
    WHEN j.seen_reason IS NOT NULL THEN j.seen_reason
    WHEN b.behaviour IS NULL THEN '{Rejection.UNKNOWN_BEHAVIOUR}'
    WHEN b.requires_evidence AND (j.evidence_ref IS NULL OR j.evidence_ref = '')
      THEN '{Rejection.MISSING_EVIDENCE}'
    WHEN j.max_quantity IS NULL THEN '{Rejection.UNKNOWN_UNIT}'
    WHEN j.quantity <= 0 THEN '{Rejection.NON_POSITIVE_QUANTITY}'
    WHEN j.quantity > j.max_quantity THEN '{Rejection.QUANTITY_ABOVE_MAX}'
    WHEN j.end_ms < j.start_ms THEN '{Rejection.END_BEFORE_START}'
    WHEN j.start_ms < {{day_start_ms}} OR j.start_ms >= {{day_end_ms}}
      THEN '{Rejection.NOT_ON_DAY}'
    WHEN j.end_ms - j.start_ms > {MS_PER_DAY} THEN '{Rejection.DURATION_TOO_LONG}'
    WHEN j.end_ms > {{as_of_ms}} THEN '{Rejection.FUTURE_TIMESTAMP}'
    WHEN j.dup_reason IS NOT NULL THEN j.dup_reason
    WHEN {{day_credited}} THEN '{Rejection.DAY_ALREADY_CREDITED}'
  END"""

# One row per accepted (behaviour, unit) pair with everything judging needs:
# the hot path makes one join on the pair instead of two on strings.
_UNIT_RULES = """
SELECT u.behaviour, u.unit, u.multiplier, u.max_quantity, b.behaviour_no, b.family,
  b.family_no, b.rank_in_family, b.trip, b.factor_ug, b.rate_min_per_h, b.rate_max_per_h,
  b.requires_evidence
FROM units u JOIN behaviours b ON u.behaviour = b.behaviour
"""


# Exactly "no rule in `_REASON` applies", as one boolean: an unknown pair
# (NULL unit columns) covers both unknown behaviour and unknown unit, and any
# NULL field makes the conjunction NULL or FALSE, hence the COALESCE. The
# duration test uses the start clamped into the day, so it cannot overflow
# whatever the inputs (it only decides when the start lies in the day, where
# the clamp changes nothing).
def _acceptable(seen: str, dup: str) -> str:
    return f"""COALESCE(
    e.partner_id <> '' AND e.event_id <> '' AND e.person_id <> '' AND e.behaviour <> ''
    AND e.unit <> '' AND e.start_ms IS NOT NULL AND e.end_ms IS NOT NULL
    AND e.quantity IS NOT NULL
    AND {seen} IS NULL AND {dup} IS NULL
    AND c.max_quantity IS NOT NULL
    AND NOT (c.requires_evidence AND (e.evidence_ref IS NULL OR e.evidence_ref = ''))
    AND e.quantity > 0 AND e.quantity <= c.max_quantity AND e.end_ms >= e.start_ms
    AND e.start_ms >= {{day_start_ms}} AND e.start_ms < {{day_end_ms}}
    AND e.end_ms <= LEAST(GREATEST(e.start_ms, {{day_start_ms}}), {{day_end_ms}}) + {MS_PER_DAY}
    AND e.end_ms <= {{as_of_ms}}
    AND NOT {{day_credited}},
    FALSE)"""


# `quantity_base` and `duration_ms` are clamped into the ranges an accepted
# event can have, so that no product below can overflow 64 bits even when an
# engine evaluates a filter before `ok` (Spark may reorder predicates). For
# accepted events the clamps change nothing. This is a view, not a table:
# re-reading the file for each use costs less than storing 20 M rows, and each
# use keeps only the few rows or the aggregate it needs.
# Where an event's dedupe verdict (`seen_reason`, `dup_reason`) comes from.
@dataclass(frozen=True, slots=True)
class _Verdicts:
    join: str
    seen: str
    dup: str


_JOINED: Final = _Verdicts(
    "LEFT JOIN verdicts r ON e.row_no = r.row_no", "r.seen_reason", "r.dup_reason"
)
_CARRIED: Final = _Verdicts("", "e.seen_reason", "e.dup_reason")
_NONE: Final = _Verdicts("", "CAST(NULL AS STRING)", "CAST(NULL AS STRING)")


def _judged(source: str, verdicts: _Verdicts) -> str:
    """Judge each event of `source` (aliased `e`), with its dedupe verdict from `verdicts`.

    `ok`: accepted (no rejection applies); `odd_rate`: its average rate is
    implausible. Rejection reasons are left to `candidates`, for the few rows
    that need one.
    """
    return f"""
SELECT {_PLAIN_EVENT_COLS}, behaviour_no, family, family_no, rank_in_family, trip, quantity_base,
  quantity_base * factor_ug AS avoided_ug,
  (rate_max_per_h IS NOT NULL AND quantity_base * {MS_PER_HOUR} > rate_max_per_h * duration_ms)
  OR (rate_min_per_h IS NOT NULL AND quantity_base * {MS_PER_HOUR} < rate_min_per_h * duration_ms)
    AS odd_rate,
  ok, max_quantity, seen_reason, dup_reason
FROM (
  SELECT {_EVENT_COLS}, c.behaviour_no, c.family, c.family_no, c.rank_in_family, c.trip,
    c.factor_ug, c.rate_min_per_h, c.rate_max_per_h, c.max_quantity,
    {verdicts.seen} AS seen_reason, {verdicts.dup} AS dup_reason,
    LEAST(GREATEST(e.quantity, 0), c.max_quantity) * c.multiplier AS quantity_base,
    LEAST(
      LEAST(GREATEST(e.end_ms, {{day_start_ms}}), {{day_end_ms}} + {MS_PER_DAY})
        - LEAST(GREATEST(e.start_ms, {{day_start_ms}}), {{day_end_ms}}),
      {MS_PER_DAY}) AS duration_ms,
    {_acceptable(verdicts.seen, verdicts.dup)} AS ok
  FROM {source}
  LEFT JOIN unit_rules c ON e.behaviour = c.behaviour AND e.unit = c.unit
  {verdicts.join}
) judging
"""


_JUDGED = _judged("events e", _JOINED)
# The whole file judged as if no event had a dedupe verdict: the one pass over
# every event (`candidates`) skips the join with `verdicts` (0.8 of its 5.8
# CPU-s on 21.2 M events) and swaps in the few rows that have one, judged from
# `verdict_events`, which carries them whole.
_JUDGED_UNVERDICTED = _judged("events e", _NONE)
_JUDGED_VERDICTED = _judged("verdict_events e", _CARRIED)

# Trips overlap (see `quantify`) only for people with two neighbouring trips,
# in start order, where the later starts before the earlier ends: if no
# neighbours overlap, each trip starts at or after the end of every trip
# before it (it starts no earlier than the one right after that trip). Ties
# in start may come in any order, one sort key fewer: of two accepted trips
# (end >= start) with the same start, the first can then only be zero-length,
# and the exact rule's (start, end, row_no) order finds no overlap in that
# either. The screen runs on a superset of the accepted trips without
# judging each event: if a person's accepted trips overlap, the trips right
# after the earlier of the two in the larger set start before it ends too, so
# nobody is missed. The superset leaves out the copies dedupe rejects (from the
# small `verdicts`): a resubmitted copy always "overlaps" its original, and
# keeping copies would flag several times as many people as really overlap.
# People are partitioned by a hash of their id, which is cheaper to sort and
# join than the string: the argument holds for any partition that contains a
# person's trips, so flagging the whole partition (its hash) misses nobody,
# and a collision only brings another person to the exact rule. That rule,
# with its running maximum, then judges the few people found, and only their
# events (`overlap_trips`, from `candidates`).
_OVERLAP_PEOPLE = """
SELECT DISTINCT person_key
FROM (
  SELECT person_key, start_ms,
    LAG(end_ms) OVER (PARTITION BY person_key ORDER BY start_ms) AS previous_end_ms
  FROM (
    SELECT {hash32:e.person_id} AS person_key, e.start_ms, e.end_ms
    FROM events e
    JOIN behaviours b ON e.behaviour = b.behaviour
    LEFT JOIN verdicts v ON e.row_no = v.row_no
    WHERE b.trip AND e.start_ms IS NOT NULL AND e.end_ms IS NOT NULL
      AND v.seen_reason IS NULL AND v.dup_reason IS NULL
  ) keyed
) trips
WHERE start_ms < previous_end_ms
"""


# The one pass that judges the whole file for the rows that are not simply
# credited: rejected events, accepted ones whose average rate is implausible
# (held), and every trip of the people the overlap screen found, which the
# exact overlap rule needs judged (a second pass over the file for them cost
# as much as this one; only trips are hashed and looked up). The pass judges
# every event as if it had no dedupe verdict, then swaps in the few rows that
# have one (`_JUDGED_VERDICTED`). Only these rows are stored, joined to their
# behaviour by name and, if rejected, given a reason string.
# Skipping the verdicts join in the pass over every event saves 0.4 s on 21.2 M
# events (2.65 against 3.07 s sorted, 3.18 against 3.57 s shuffled). On Spark the
# two judgings make every later plan bigger, which costs its driver about 10 s
# per run whatever the size (a 5,000-person day in local mode: 32.9 s against
# 22.1 s with the join), while the national day runs 13 % faster (127.3 k
# against 111.0 k events/s), so both engines take this form.
def _flagged_rows(judged: str) -> str:
    """The rows of `judged` (aliased `u`) that are not simply credited, with the overlap flag."""
    return f"""
  SELECT u.*, p.person_key IS NOT NULL AS overlap_person
  FROM {judged} u
  LEFT JOIN overlap_people p
    ON CASE WHEN u.trip THEN {{hash32:u.person_id}} END = p.person_key
  WHERE NOT u.ok OR u.odd_rate OR p.person_key IS NOT NULL"""


_CANDIDATES = f"""
SELECT j.*, CASE WHEN j.ok THEN NULL ELSE {_REASON} END AS reason
FROM (
  SELECT f.*
  FROM ({_flagged_rows("judged_unverdicted")}) f
  LEFT JOIN verdicts r ON f.row_no = r.row_no
  WHERE r.row_no IS NULL
  UNION ALL{_flagged_rows("judged_verdicted")}
) j
LEFT JOIN behaviours b ON j.behaviour = b.behaviour
"""

# Everything that is not simply credited, except overlaps.
_FLAGGED = f"""
SELECT {_PLAIN_EVENT_COLS}, family, family_no, rank_in_family, quantity_base, avoided_ug,
  COALESCE(reason, '{Hold.IMPLAUSIBLE_SPEED}') AS reason, ok AS held
FROM candidates WHERE NOT ok OR odd_rate
"""

_OVERLAPS = f"""
SELECT {_PLAIN_EVENT_COLS}, family, family_no, rank_in_family, quantity_base, avoided_ug,
  odd_rate
FROM (
  SELECT c.*,
    MAX(c.end_ms) OVER (PARTITION BY c.person_id ORDER BY c.start_ms, c.end_ms, c.row_no
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest_earlier_end_ms,
    LEAD(c.start_ms) OVER (PARTITION BY c.person_id ORDER BY c.start_ms, c.end_ms, c.row_no)
      AS next_start_ms
  FROM candidates c
  WHERE c.overlap_person AND c.ok AND c.trip
) trips
WHERE COALESCE(latest_earlier_end_ms, start_ms) > start_ms
  OR COALESCE(next_start_ms, end_ms) < end_ms
"""

_HOLDS = f"""
SELECT {_PLAIN_EVENT_COLS}, family, family_no, rank_in_family, quantity_base, avoided_ug,
  reason
FROM flagged WHERE held
UNION ALL
SELECT {_PLAIN_EVENT_COLS}, family, family_no, rank_in_family, quantity_base, avoided_ug,
  '{Hold.OVERLAPPING_TRIP}'
FROM overlap_trips WHERE NOT odd_rate
"""

_NEUTRAL = ", ".join(f"'{r}'" for r in sorted(NEUTRAL_REJECTIONS))

# Per partner: events judged (all but another day's and harmless copies) and
# how many of them were rejected or held; above the rule set's share, the
# partner is anomalous and the rest of its events are held for review.
_PARTNERS = f"""
SELECT partner_id, events_n, judged_n, flagged_n,
  judged_n >= {{partner_min_events}}
    AND flagged_n * {BPS} > {{partner_flagged_bps_max}} * judged_n AS anomalous
FROM (
  SELECT p.partner_id, p.events_n,
    p.events_n - COALESCE(f.neutral_n, 0) AS judged_n,
    COALESCE(f.flagged_n, 0) + COALESCE(h.held_n, 0) AS flagged_n
  FROM (
    SELECT partner_id, CAST(COUNT(*) AS BIGINT) AS events_n FROM events
    WHERE partner_id IS NOT NULL AND partner_id <> '' GROUP BY partner_id
  ) p
  LEFT JOIN (
    SELECT partner_id,
      CAST(COUNT(*) FILTER (WHERE reason IN ({_NEUTRAL})) AS BIGINT) AS neutral_n,
      CAST(COUNT(*) FILTER (WHERE reason NOT IN ({_NEUTRAL})) AS BIGINT) AS flagged_n
    FROM flagged WHERE NOT held GROUP BY partner_id
  ) f ON p.partner_id = f.partner_id
  LEFT JOIN (
    SELECT partner_id, CAST(COUNT(*) AS BIGINT) AS held_n FROM holds GROUP BY partner_id
  ) h ON p.partner_id = h.partner_id
) counted
"""

_ANOMALOUS = "SELECT partner_id FROM partners WHERE anomalous"

_ANOMALY_HOLDS = f"""
SELECT {_EVENT_COLS}, e.family, e.family_no, e.rank_in_family, e.quantity_base, e.avoided_ug,
  '{Hold.PARTNER_ANOMALY}' AS reason
FROM judged e
JOIN anomalous x ON e.partner_id = x.partner_id
LEFT JOIN holds h ON e.row_no = h.row_no
WHERE e.ok AND h.row_no IS NULL
"""


_REJECTED = f"""
SELECT {_PLAIN_EVENT_COLS}, reason, CAST(NULL AS STRING) AS detail
FROM flagged WHERE NOT held
"""

_HELD = f"""
SELECT {_EVENT_COLS}, f.methodology, e.reason, e.avoided_ug, {_DIGEST} AS digest
FROM (
  SELECT {_PLAIN_EVENT_COLS}, family, avoided_ug, reason FROM holds
  UNION ALL
  SELECT {_PLAIN_EVENT_COLS}, family, avoided_ug, reason FROM anomaly_holds
) e
JOIN families f ON e.family = f.family
"""

_CREDITED_EVENTS = f"""
SELECT e.row_no, e.partner_id, e.event_id, e.person_id, e.behaviour, f.methodology,
  e.quantity_base, e.avoided_ug, {_DIGEST} AS digest
FROM judged e
JOIN families f ON e.family = f.family
LEFT JOIN anomalous x ON e.partner_id = x.partner_id
LEFT JOIN holds h ON e.row_no = h.row_no
WHERE e.ok AND x.partner_id IS NULL AND h.row_no IS NULL
"""

_PARTNERS_OUT = "SELECT partner_id, events_n, judged_n, flagged_n, anomalous FROM partners"


def steps(ranks: int, dialect: Dialect, *, packed_counts: bool = False) -> tuple[Step, ...]:
    """The pipeline's intermediate relations, in dependency order.

    `packed_counts`: the file is small enough for two ranks' counts to share a
    sum (`energy_steps.counts_pack_safe`).
    """
    return (
        Step("dup_hashes", _DUP_HASHES[dialect], materialise=True),
        Step("dup_rows", _DUP_ROWS, materialise=True),
        Step("dup_keys", _DUP_KEYS),
        Step("dup_conflicts", _DUP_CONFLICTS),
        Step("verdict_events", _VERDICT_EVENTS, materialise=True),
        Step("verdicts", _VERDICTS),
        Step("unit_rules", _UNIT_RULES, materialise=True),
        Step("judged", _JUDGED),
        Step("judged_unverdicted", _JUDGED_UNVERDICTED),
        Step("judged_verdicted", _JUDGED_VERDICTED),
        Step("overlap_people", _OVERLAP_PEOPLE, materialise=True),
        Step("candidates", _CANDIDATES, materialise=True),
        Step("flagged", _FLAGGED),
        Step("overlap_trips", _OVERLAPS, materialise=True),
        Step("holds", _HOLDS, materialise=True),
        Step("partners", _PARTNERS, materialise=True),
        Step("anomalous", _ANOMALOUS),
        Step("anomaly_holds", _ANOMALY_HOLDS),
        Step("unit_weights", energy_steps.unit_weights(ranks, packed_counts), materialise=True),
        Step("family_caps", energy_steps.family_caps(ranks), materialise=True),
        Step("per_family", energy_steps.tallies(ranks, packed_counts)),
        Step("day_capped", energy_steps.day_capped(ranks)),
        Step("floored", energy_steps.floored(ranks)),
        Step("year_capped", energy_steps.year_capped(ranks)),
    )


def outputs(ranks: int) -> dict[str, str]:
    return {
        "energy": energy_steps.energy(ranks),
        "rejected": _REJECTED,
        "held": _HELD,
        "credited_events": _CREDITED_EVENTS,
        "partners": _PARTNERS_OUT,
    }


_INTDIV_PLACEHOLDER: Final = re.compile(r"\{intdiv:(\w+)\}")
"""`{intdiv:col}` stands for `col` divided by 10^6 (micrograms to whole grams)."""
_HASH32_PLACEHOLDER: Final = re.compile(r"\{hash32:([\w., ]+)\}")
"""`{hash32:a, b}` stands for a 32-bit hash of the columns `a, b`."""
_NEVER: Final = INT64_MAX  # a partner minimum no run reaches: no anomaly rule


@dataclass(frozen=True, slots=True)
class DayParams:
    """The run's parameters: the day, its bounds and as-of time, and what state says.

    `day_credited`: the day's energy was credited already, so its remaining valid
    events are refused one by one. `anomaly`: the rule set's partner threshold.
    """

    day: date
    window: DayWindow
    day_credited: bool = False
    anomaly: PartnerAnomaly | None = None


def narrow_sums_safe(catalogue: Catalogue, events_n: int) -> bool:
    """Whether the tallies' sums fit 64 bits whatever the file holds.

    Each summed term is a count of +-1 or +-quantity_base, which is clamped to
    its unit's maximum times the unit's multiplier; all events are added once
    and at most all are subtracted once, so no partial sum exceeds
    2 x events x the largest clamped quantity in absolute value.
    """
    largest = max(
        (
            b.max_quantity_in(unit) * multiplier
            for b in catalogue.behaviours
            for unit, multiplier in b.units.items()
        ),
        default=0,
    )
    return 2 * events_n * max(largest, 1) <= INT64_MAX


def render(sql: str, dialect: Dialect, params: DayParams, *, narrow_sums: bool = False) -> str:
    """Fill in the dialect's integer division and hash, and the run's parameters (all ours)."""
    text = _INTDIV_PLACEHOLDER.sub(
        lambda found: _intdiv(dialect, found.group(1), str(UG_PER_G)), sql
    )
    text = _HASH32_PLACEHOLDER.sub(lambda found: _hash32(dialect, found.group(1)), text)
    anomaly = params.anomaly
    return text.format(
        day=params.day.isoformat(),
        sum="sum_no_overflow" if narrow_sums and dialect == "duckdb" else "SUM",
        day_start_ms=int(params.window.start_ms),
        day_end_ms=int(params.window.end_ms),
        as_of_ms=int(params.window.as_of_ms),
        day_credited="TRUE" if params.day_credited else "FALSE",
        partner_min_events=_NEVER if anomaly is None else int(anomaly.min_events),
        partner_flagged_bps_max=BPS if anomaly is None else int(anomaly.flagged_bps_max),
    )


def _intdiv(dialect: Dialect, numerator: str, denominator: str) -> str:
    """Integer division of non-negative operands (both dialects truncate)."""
    operator = "//" if dialect == "duckdb" else "div"
    return f"({numerator} {operator} {denominator})"


def _hash32(dialect: Dialect, columns: str) -> str:
    """A 32-bit hash: Spark's `hash` is 32 bits; DuckDB's is 64, of which the top half.

    Sorting, grouping and joining on 32-bit keys costs less than on 64-bit ones
    (the overlap screen 1.5 against 1.9 s on 16.7 M trips); every use is a
    screen whose collisions only nominate more candidates for an exact rule.
    """
    if dialect == "spark":
        return f"hash({columns})"
    return f"CAST(hash({columns}) >> 32 AS UINTEGER)"


def rendered_steps(
    dialect: Dialect,
    params: DayParams,
    ranks: int,
    *,
    narrow_sums: bool = False,
    packed_counts: bool = False,
) -> tuple[Step, ...]:
    return tuple(
        Step(
            step.name, render(step.sql, dialect, params, narrow_sums=narrow_sums), step.materialise
        )
        for step in steps(ranks, dialect, packed_counts=packed_counts)
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything an engine runs for one day: reference tables, steps and outputs."""

    tables: dict[str, pa.Table]
    steps: tuple[Step, ...]
    outputs: dict[str, str]


def plan(
    catalogue: Catalogue, dialect: Dialect, params: DayParams, events_n: int | None = None
) -> Plan:
    """The day's plan; `events_n`, the file's row count if known, may allow narrower sums."""
    ranks = ranks_needed(catalogue)
    narrow = events_n is not None and narrow_sums_safe(catalogue, events_n)
    # Spark keeps one count per sum: its plans are text-heavy already (see
    # `_CANDIDATES`) and it is never told the file's size.
    packed = (
        dialect == "duckdb" and events_n is not None and energy_steps.counts_pack_safe(events_n)
    )
    return Plan(
        tables={
            "behaviours": behaviours_table(catalogue),
            "units": units_table(catalogue),
            "families": families_table(catalogue),
        },
        steps=rendered_steps(dialect, params, ranks, narrow_sums=narrow, packed_counts=packed),
        outputs={
            name: render(sql, dialect, params, narrow_sums=narrow)
            for name, sql in outputs(ranks).items()
        },
    )
