"""The credited-energy steps of the daily pipeline: tallies, caps and unfolding.

Part of the one definition in `definition.py` (read its docstring first): the
SQL of the steps from the (person, family) tallies to the `energy` output. Each
function returns the step's text for a catalogue whose families have at most
`ranks` behaviours; `definition.render` fills in its placeholders (`{sum}`,
`{intdiv:...}`, `{day}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pctrade.energy.behaviour.model import UG_PER_G
from pctrade.energy.behaviour.reasons import CapFlag
from pctrade.kernel.limits import INT64_MAX


def tallies(ranks: int, packed_counts: bool) -> str:
    """One row per (person, family) with credit, each behaviour's tallies side by side.

    Caps are filled in behaviour-rank order; laying a family's behaviours out
    as columns turns the greedy fill into plain column arithmetic, so no
    window (and no sort) is needed. The alternative, plain sums per (person,
    behaviour) and the caps as running sums over the family's ranks (one
    window: below the day cap the grams before a rank are the sum of the
    earlier ranks' floors, above it the rank gets nothing), was measured
    slower on DuckDB: the sort costs more than the narrower aggregation saves
    (energy output, 4.24 M events, against this pivot with NULL-skipping sums:
    1.66-1.78 CPU-s against 1.46-1.50 sorted by person, 2.40-2.44 against
    2.14-2.20 shuffled).

    The credited tallies are every event's (sign +1) minus those of the few
    that are not credited (sign -1): the rejected ones (from `candidates`),
    the held ones and those of an anomalous partner. That takes the big side
    straight off the file with four columns (person, behaviour, unit,
    quantity) and one join, without judging each event again or joining its
    verdict; both sides compute `quantity_base` with the same clamp, so the
    difference is exact, and an event of an unknown (behaviour, unit) pair is
    on neither side. A (person, family) whose every event was subtracted has
    `n = 0` throughout and gets no energy row. Only counts and quantities are
    summed: a rank's avoided micrograms are its quantity times its factor
    (`day_capped`), the factor being the same for every event of a behaviour.
    Every per-rank sum adds 0 for the other ranks' events rather than NULL (so
    no sum is ever NULL and none needs a COALESCE: 10-15 % less CPU for this
    aggregation). The big side takes its per-rank terms as products with the
    pair's weights (`unit_weights`), and two ranks' counts may share one sum
    (`CountColumns`): each sum dropped saves about 0.25 s on the shuffled
    national day, where this aggregation is the largest single cost.

    `{sum}` is `SUM`, or on DuckDB, when `narrow_sums_safe` proves that no
    partial sum can leave 64 bits, `sum_no_overflow`, whose 64-bit state makes
    this aggregation 10-20 % cheaper (its 6.1 M groups on the shuffled day:
    8.6-8.9 against 10.2-10.5 CPU-s).
    """

    counts = CountColumns(ranks, packed_counts)
    ks = range(1, ranks + 1)
    sums = ", ".join(
        [f"CAST({{sum}}({c}) AS BIGINT) AS {c}" for c in counts.names()]
        + [f"CAST({{sum}}(q_{k}) AS BIGINT) AS q_{k}" for k in ks]
    )
    added = ", ".join(
        [f"w.{c}" for c in counts.names()]
        + [
            f"LEAST(GREATEST(e.quantity, 0), w.max_quantity) * w.multiplier_{k} AS q_{k}"
            for k in ks
        ]
    )
    subtracted = ", ".join(
        [f"{counts.by_rank(c, sign=-1)} AS {c}" for c in counts.names()]
        + [f"CASE WHEN rank_in_family = {k} THEN -quantity_base ELSE 0 END AS q_{k}" for k in ks]
    )
    tallied = ", ".join([f"{counts.decoded(k)} AS n_{k}" for k in ks] + [f"q_{k}" for k in ks])
    return f"""
SELECT person_id, family_no, {tallied}
FROM (
  SELECT person_id, family_no, {sums}
  FROM (
    SELECT e.person_id, w.family_no, {added}
    FROM events e JOIN unit_weights w ON e.behaviour = w.behaviour AND e.unit = w.unit
    WHERE e.quantity IS NOT NULL
    UNION ALL
    SELECT person_id, family_no, {subtracted}
    FROM (
      SELECT person_id, family_no, rank_in_family, quantity_base
      FROM candidates WHERE NOT ok AND family_no IS NOT NULL AND quantity IS NOT NULL
      UNION ALL
      SELECT person_id, family_no, rank_in_family, quantity_base FROM holds
      UNION ALL
      SELECT person_id, family_no, rank_in_family, quantity_base FROM anomaly_holds
    ) not_credited
  ) signed
  GROUP BY person_id, family_no
) summed"""


def unit_weights(ranks: int, packed_counts: bool) -> str:
    """Each accepted (behaviour, unit) pair with its rank as weights, for the tallies.

    An event adds its pair's count weights (see `CountColumns`) and its
    clamped quantity times `multiplier_k`, which is the unit's multiplier for
    the pair's own rank k and 0 for the others. The tallies' big side is then
    plain products, with no `CASE` per event and rank (21.2 M events,
    shuffled: the aggregation 2.98 against 3.19 s).
    """
    counts = CountColumns(ranks, packed_counts)
    weights = ", ".join(
        [f"{counts.by_rank(c, sign=1)} AS {c}" for c in counts.names()]
        + [
            f"CASE WHEN rank_in_family = {k} THEN multiplier ELSE 0 END AS multiplier_{k}"
            for k in range(1, ranks + 1)
        ]
    )
    return f"SELECT behaviour, unit, family_no, max_quantity, {weights} FROM unit_rules"


PACKED_COUNT_BITS: Final = 32


@dataclass(frozen=True, slots=True)
class CountColumns:
    """The columns the tallies sum each rank's event count in.

    Every extra sum over the 6.1 M (person, family) groups of the national
    day costs about 0.25 s (shuffled), so when the file's size allows
    (`counts_pack_safe`) two ranks share one 64-bit column: rank 2i-1 adds 1
    and rank 2i adds 2^32 to `counts_i`. A final count lies in [0, events]
    and events < 2^31, so the low half is the odd rank's count exactly; and
    no partial sum, whatever the order, exceeds 2 x events x (2^32 + 1) in
    absolute value, which the size check keeps within 64 bits (files below
    2^30 events). Otherwise
    each rank has its own column `n_k` with weight 1.
    """

    ranks: int
    packed: bool

    def names(self) -> list[str]:
        if not self.packed:
            return [f"n_{k}" for k in range(1, self.ranks + 1)]
        return [f"counts_{i}" for i in range(1, (self.ranks + 1) // 2 + 1)]

    def _column_and_weight(self, k: int) -> tuple[str, int]:
        if not self.packed:
            return f"n_{k}", 1
        return f"counts_{(k + 1) // 2}", 1 << (PACKED_COUNT_BITS * ((k - 1) % 2))

    def by_rank(self, column: str, *, sign: int) -> str:
        """`column`'s term for a row of rank `rank_in_family`."""
        whens = []
        for k in range(1, self.ranks + 1):
            name, weight = self._column_and_weight(k)
            if name == column:
                whens.append(f"WHEN {k} THEN {sign * weight}")
        return f"CAST(CASE rank_in_family {' '.join(whens)} ELSE 0 END AS BIGINT)"

    def decoded(self, k: int) -> str:
        """Rank k's count from the summed columns."""
        column, weight = self._column_and_weight(k)
        if weight == 1 and self.packed:
            return f"({column} & {(1 << PACKED_COUNT_BITS) - 1})"
        if weight == 1:
            return column
        return f"({column} >> {PACKED_COUNT_BITS})"


def counts_pack_safe(events_n: int) -> bool:
    """Whether two ranks' counts can share a 64-bit sum for a file of `events_n` rows."""
    return 2 * events_n * ((1 << PACKED_COUNT_BITS) + 1) <= INT64_MAX


# One row per family with its number, caps and each rank's factor (from the
# small behaviours table). A rank's avoided micrograms are its quantity times
# its factor: the factor is the same for every event of a behaviour, so the
# tallies sum quantities only.
def family_caps(ranks: int) -> str:
    factors = ", ".join(
        f"MAX(CASE WHEN rank_in_family = {k} THEN factor_ug END) AS factor_{k}"
        for k in range(1, ranks + 1)
    )
    return f"""
SELECT family_no, family, cap_day_g, cap_year_g, {factors}
FROM behaviours GROUP BY family_no, family, cap_day_g, cap_year_g
"""


def _before(prefix: str, k: int) -> str:
    """The sum of `prefix_1 .. prefix_(k-1)` (0 for the first rank)."""
    return " + ".join([f"{prefix}_{i}" for i in range(1, k)]) or "0"


def day_capped(ranks: int) -> str:
    def avoided(k: int) -> str:
        return f"p.q_{k} * COALESCE(f.factor_{k}, 0)"

    def before(k: int) -> str:
        return " + ".join(avoided(i) for i in range(1, k)) or "0"

    columns = [f"{avoided(k)} AS a_{k}" for k in range(1, ranks + 1)] + [
        f"LEAST({avoided(k)}, GREATEST(f.cap_day_g * {UG_PER_G} - ({before(k)}), 0)) AS d_{k}"
        for k in range(1, ranks + 1)
    ]
    return (
        f"SELECT p.*, {', '.join(columns)}, "
        "GREATEST(f.cap_year_g - COALESCE(y.credited_g, 0), 0) AS year_room_g "
        "FROM per_family p JOIN family_caps f ON p.family_no = f.family_no "
        "LEFT JOIN ytd y ON p.person_id = y.person_id AND f.family = y.family"
    )


def floored(ranks: int) -> str:
    columns = [f"{{intdiv:d_{k}}} AS g_{k}" for k in range(1, ranks + 1)]
    return f"SELECT *, {', '.join(columns)} FROM day_capped"


def year_capped(ranks: int) -> str:
    columns = [
        f"LEAST(g_{k}, GREATEST(year_room_g - ({_before('g', k)}), 0)) AS c_{k}"
        for k in range(1, ranks + 1)
    ]
    return f"SELECT *, {', '.join(columns)} FROM floored"


def energy(ranks: int) -> str:
    """Unfold the per-family columns into one row per behaviour, in one pass.

    Joining each (person, family) row to its family's behaviours yields one
    row per rank; `CASE` picks that rank's columns. Names come back as
    `behaviour_no` (see `catalogue_tables.label_energy`).
    """

    def pick(column: str) -> str:
        whens = " ".join(f"WHEN {k} THEN y.{column}_{k}" for k in range(1, ranks + 1))
        return f"CASE b.rank_in_family {whens} END AS {column}"

    picked = ", ".join(pick(column) for column in ("n", "q", "a", "d", "g", "c"))
    return f"""
SELECT DATE '{{day}}' AS day, person_id, behaviour_no,
  n AS events_n, q AS quantity, factor_ug AS factor_ug_per_unit, a AS avoided_ug,
  a - d + (g - c) * {UG_PER_G} AS cap_forfeit_ug,
  d - g * {UG_PER_G} AS remainder_ug,
  c AS credited_g,
  CASE WHEN c < g THEN '{CapFlag.OVER_YEARLY_CAP}'
       WHEN d < a THEN '{CapFlag.OVER_DAILY_CAP}' END AS cap_flag
FROM (
  SELECT y.person_id, b.behaviour_no, b.factor_ug, {picked}
  FROM year_capped y JOIN behaviours b ON y.family_no = b.family_no
) unfolded
WHERE n > 0"""
