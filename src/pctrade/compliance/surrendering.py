"""The ``compliance_surrender`` entry: one emitter's surrender (清缴) for one period.

One entry surrenders any number of batches — allowances (CEA) and offsets (CCER, and
PCER where the rule set admits them) — from the emitter's own account: each batch's
grams go from ``available`` to ``surrendered``, a terminal state, so a gram counts once
and never moves again. ``compliance.surrender.check_surrender`` decides beforehand
whether the units count; the entry records what it decided on, so that the journal
alone says why (``verify`` reads nothing else):

- the jurisdiction, the period and the rule set in force (version and digest);
- the obligation it was checked against (the confirmed verified emissions, the
  period's allocation and the true-up debt surrendered on top, ``debt_g``, absent from
  entries written before debts counted: read as 0) and the offset cap that follows;
- every unit (batch, instrument, jurisdiction, vintage, grams, whether an offset);
- what had counted before it and what counts after it (``before`` / ``after``).

Replay checks each entry alone (``check_compliance_surrender``: the postings are the
units, the totals add up, the offsets within the recorded cap, the total within the
obligation), and ``SurrenderTracker`` checks the history: each entry's ``before`` is
what the earlier entries of the same obligation made, so no gram is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pctrade.compliance.model import ComplianceOp
from pctrade.compliance.surrender import ALLOWANCE_INSTRUMENTS, Obligation, Surrendered, Unit
from pctrade.kernel.errors import ValidationError
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import AccountId, AssetId, State
from pctrade.ledger.operations import Plan
from pctrade.ledger.postings import Posting, Postings

# The journal's name of the op type; never renamed (it is hashed into every entry).
SURRENDER = ComplianceOp.SURRENDER
UNITS_MAX = 1_000  # batches in one surrender: a bound on one entry's size

_MISMATCH = "compliance_surrender_mismatch"


@dataclass(frozen=True, slots=True)
class Line:
    """One batch surrendered: its asset, its name and what the rules looked at."""

    asset_id: AssetId
    batch: str
    unit: Unit

    @property
    def offset(self) -> bool:
        return self.unit.instrument not in ALLOWANCE_INSTRUMENTS

    def payload(self) -> JsonDict:
        u = self.unit
        return {
            "asset_id": self.asset_id,
            "batch": self.batch,
            "instrument": u.instrument,
            "jurisdiction": u.jurisdiction,
            "vintage": u.vintage,
            "quantity_g": u.quantity_g,
            "offset": self.offset,
            "methodology": u.methodology,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """What the surrender was checked against, as the entry records it."""

    jurisdiction: str
    period: str
    rule_set: str
    rule_set_digest: str
    obligation: Obligation
    offset_cap_g: int
    nonlocal_cap_g: int
    offset_types: tuple[str, ...]  # the instruments the rule set admits as offsets
    before: Surrendered
    after: Surrendered


def _totals(s: Surrendered) -> JsonDict:
    return {
        "allowances_g": s.allowances_g,
        "offsets_g": s.offsets_g,
        "nonlocal_offsets_g": s.nonlocal_offsets_g,
    }


def plan_compliance_surrender(account_id: AccountId, lines: Sequence[Line], d: Decision) -> Plan:
    """Every line's grams from the emitter's available to its surrendered, in one entry."""
    if not lines:
        raise ValidationError("a surrender names what it surrenders", code="bad_request")
    if len(lines) > UNITS_MAX:
        raise ValidationError(f"at most {UNITS_MAX} batches in one surrender", code="too_many")
    if len({line.asset_id for line in lines}) != len(lines):
        raise ValidationError("a batch is named twice in one surrender", code="bad_request")
    postings = Postings.of(
        p
        for line in lines
        for p in (
            Posting(account_id, line.asset_id, State.AVAILABLE, -line.unit.quantity_g),
            Posting(account_id, line.asset_id, State.SURRENDERED, line.unit.quantity_g),
        )
    )
    payload: JsonDict = {
        "account": account_id,
        "jurisdiction": d.jurisdiction,
        "period": d.period,
        "rule_set": d.rule_set,
        "rule_set_digest": d.rule_set_digest,
        "verified_emissions_g": d.obligation.verified_emissions_g,
        "allocation_g": d.obligation.allocation_g,
        "debt_g": d.obligation.debt_g,
        "offset_cap_g": d.offset_cap_g,
        "nonlocal_cap_g": d.nonlocal_cap_g,
        "offset_types": list(d.offset_types),
        "units": [line.payload() for line in lines],
        "before": _totals(d.before),
        "after": _totals(d.after),
    }
    return Plan(SURRENDER, payload, postings=postings)


@dataclass(frozen=True, slots=True)
class Recorded:
    """A ``compliance_surrender`` entry's figures, read back from its payload."""

    seq: int
    account: int
    jurisdiction: str
    period: str
    verified_emissions_g: int
    debt_g: int
    offset_cap_g: int
    nonlocal_cap_g: int
    offset_types: tuple[str, ...]
    units: tuple[JsonDict, ...]
    before: Surrendered
    after: Surrendered

    @property
    def obligation_key(self) -> tuple[int, str, str]:
        return (self.account, self.jurisdiction, self.period)


def _surrendered(d: JsonDict) -> Surrendered:
    return Surrendered(int(d["allowances_g"]), int(d["offsets_g"]), int(d["nonlocal_offsets_g"]))


def _unit_figures(u: JsonDict) -> JsonDict:
    """A unit as recorded, its figures typed (``KeyError``/``ValueError`` if missing)."""
    return {
        "asset_id": int(u["asset_id"]),
        "batch": str(u["batch"]),
        "instrument": str(u["instrument"]),
        "jurisdiction": str(u["jurisdiction"]),
        "vintage": int(u["vintage"]),
        "quantity_g": int(u["quantity_g"]),
        "offset": bool(u["offset"]),
    }


def recorded(entry: StoredEntry) -> Recorded | None:
    """The entry's figures, or None when its payload lacks them (a problem to flag)."""
    return recorded_of(entry.header.seq, entry.header.payload)


def recorded_of(seq: int, p: JsonDict) -> Recorded | None:
    """A surrender's figures from its seq and payload (None: the payload lacks them)."""
    try:
        units = tuple(_unit_figures(u) for u in p["units"])
        return Recorded(
            seq,
            int(p["account"]),
            str(p["jurisdiction"]),
            str(p["period"]),
            int(p["verified_emissions_g"]),
            int(p.get("debt_g", 0)),
            int(p["offset_cap_g"]),
            int(p["nonlocal_cap_g"]),
            tuple(str(t) for t in p["offset_types"]),
            units,
            _surrendered(p["before"]),
            _surrendered(p["after"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def check_compliance_surrender(entry: StoredEntry) -> Iterator[Problem]:
    """Replay of one entry alone: it moved exactly its units to ``surrendered``, its
    totals add up, and it kept within the cap and the obligation it recorded."""
    seq = entry.header.seq
    r = recorded(entry)
    if r is None:
        yield Problem(_MISMATCH, "a surrender's payload lacks its figures", seq)
        return
    expected: dict[tuple[int, int, int], int] = {}
    added = Surrendered()
    for u in r.units:
        q, asset = int(u["quantity_g"]), int(u["asset_id"])
        if q <= 0:
            yield Problem(_MISMATCH, "a surrendered quantity is not positive", seq)
            return
        expected[(r.account, asset, int(State.AVAILABLE))] = -q
        expected[(r.account, asset, int(State.SURRENDERED))] = q
        added = _add(added, u, r.jurisdiction)
    net = {k: d for k, d in entry.postings.net_by_key().items() if d != 0}
    if {(a, s, int(st)): d for (a, s, st), d in net.items()} != expected:
        yield Problem(_MISMATCH, "a surrender moved other grams than its units", seq)
    if _plus(r.before, added) != r.after:
        yield Problem(_MISMATCH, "a surrender's totals do not add up to its units", seq)
    yield from _limits(r)


def _add(s: Surrendered, u: JsonDict, jurisdiction: str) -> Surrendered:
    q = int(u["quantity_g"])
    if not u["offset"]:
        return Surrendered(s.allowances_g + q, s.offsets_g, s.nonlocal_offsets_g)
    outside = q if u["jurisdiction"] != jurisdiction else 0
    return Surrendered(s.allowances_g, s.offsets_g + q, s.nonlocal_offsets_g + outside)


def _plus(a: Surrendered, b: Surrendered) -> Surrendered:
    return Surrendered(
        a.allowances_g + b.allowances_g,
        a.offsets_g + b.offsets_g,
        a.nonlocal_offsets_g + b.nonlocal_offsets_g,
    )


def _limits(r: Recorded) -> Iterator[Problem]:
    if r.after.total_g > r.verified_emissions_g + r.debt_g:
        yield Problem("surrender_exceeds_obligation", "more surrendered than owed", r.seq)
    if r.after.offsets_g > r.offset_cap_g or r.after.nonlocal_offsets_g > r.nonlocal_cap_g:
        yield Problem("offsets_above_cap", "offsets counted beyond the recorded cap", r.seq)
    for u in r.units:
        if u["offset"] and u["instrument"] not in r.offset_types:
            yield Problem("offset_type_not_admitted", f"{u['instrument']} counted", r.seq)
        if not u["offset"] and u["instrument"] not in ALLOWANCE_INSTRUMENTS:
            yield Problem(_MISMATCH, f"{u['instrument']} counted as an allowance", r.seq)


class SurrenderTracker:
    """Across the journal: each surrender starts from what the earlier ones of the same
    obligation counted (so a gram counts once), and its figures are the sums so far."""

    def __init__(self) -> None:
        self.so_far: dict[tuple[int, str, str], Surrendered] = {}

    def feed(self, entry: StoredEntry) -> Iterator[Problem]:
        if entry.header.op_type != SURRENDER:
            return
        r = recorded(entry)
        if r is None:
            return  # the entry's own check flags it
        if self.so_far.get(r.obligation_key, Surrendered()) != r.before:
            yield Problem(
                "surrender_counted_twice",
                f"surrender {r.seq} starts from other figures than the earlier surrenders "
                f"of account {r.account} for {r.jurisdiction} {r.period}",
                r.seq,
            )
        self.so_far[r.obligation_key] = r.after

    def finish(self) -> Iterator[Problem]:
        return iter(())
