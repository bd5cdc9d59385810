"""The cap-integrity report, from the journal alone.

Fed every entry in journal order (``Integrity.feed``), it reconciles, per jurisdiction,
what was capped, allocated, surrendered, banked and cancelled, and per compliance
period what the cap left in reserve. Each figure carries the seqs of the entries it
sums, so whoever reads the report can follow any figure to the journal.

The identities it checks (``Integrity.problems``), to the gram:

1. cap = free allocation + auctioned + reserve, for every period a ``compliance_cap``
   entry set (the reserve is what is left; negative means more was allocated than the
   cap allows);
2. surrendered + banked = allocated + offsets used − cancelled, for every jurisdiction's
   allowances: ``allocated`` is every gram of the jurisdiction's CEA ever issued (free
   allocation entries and any other issuance of CEA, such as a registry ``issue``);
   ``surrendered`` is what surrender entries *record* (allowances and offsets, and the
   ledger's plain ``surrender`` of CEA); ``banked`` (held by anyone, not yet used) and
   ``cancelled`` (cancelled or retired, including a true-up taken back) are what the
   *postings* left in each state. So the identity holds only if what surrender entries
   say they counted is what their postings moved;
3. offsets per type within their caps: for every obligation, the offsets counted are at
   most the cap its last surrender recorded, and only of the types it admitted.

The shapes it reads of the other op types: an issuing entry's ``batch`` payload
(``ledger.operations.batch_payload``); ``compliance_cap`` with ``jurisdiction``,
``period``, ``cap_g``; ``compliance_allocate`` and ``compliance_take_back`` with
``jurisdiction``, ``period`` and ``kind``, whose postings issue (from the issuance
account's ``source``) and, for a true-up that takes back, cancel; a run of kind
``auction`` (paid allocation into the auction account) counts as auctioned, any other
as free allocation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pctrade.compliance.model import AllocationKind, ComplianceOp
from pctrade.compliance.surrendering import SURRENDER, Recorded, recorded
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import State

CAP_OP = ComplianceOp.CAP
# An allocation run's entry: one that issues, or a true-up that only takes back.
ALLOCATION_OPS = frozenset({ComplianceOp.ALLOCATE, ComplianceOp.TAKE_BACK})
AUCTION_KIND = AllocationKind.AUCTION  # paid allocation, issued into the auction account
PLAIN_SURRENDER_OP = "surrender"  # the ledger's own (``ledger.operations.plan_surrender``)
_COMPLIANCE_PREFIX = "compliance_"
_CANCELLED_STATES = frozenset({int(State.CANCELLED), int(State.RETIRED)})
_SOURCE = int(State.SOURCE)
_SURRENDERED = int(State.SURRENDERED)


@dataclass(slots=True)
class Figure:
    """Grams, and the entries that make them."""

    grams: int = 0
    seqs: list[int] = field(default_factory=list)

    def add(self, grams: int, seq: int) -> None:
        if grams == 0:
            return
        self.grams += grams
        if not self.seqs or self.seqs[-1] != seq:
            self.seqs.append(seq)

    def as_json(self) -> JsonDict:
        return {"grams": self.grams, "seqs": list(self.seqs)}


@dataclass(slots=True)
class PeriodFigures:
    """One jurisdiction's period: its cap and what was allocated against it, and what
    was surrendered for it."""

    cap: Figure = field(default_factory=Figure)
    free: Figure = field(default_factory=Figure)
    auctioned: Figure = field(default_factory=Figure)
    allowances_surrendered: Figure = field(default_factory=Figure)
    offsets_by_type: dict[str, Figure] = field(default_factory=dict)

    @property
    def capped(self) -> bool:
        return bool(self.cap.seqs)

    @property
    def reserve_g(self) -> int:
        return self.cap.grams - self.free.grams - self.auctioned.grams

    def as_json(self) -> JsonDict:
        return {
            "cap": self.cap.as_json() if self.capped else None,
            "free_allocation": self.free.as_json(),
            "auctioned": self.auctioned.as_json(),
            "reserve_g": self.reserve_g if self.capped else None,
            "allowances_surrendered": self.allowances_surrendered.as_json(),
            "offsets_by_type": {t: f.as_json() for t, f in sorted(self.offsets_by_type.items())},
        }


@dataclass(slots=True)
class Allowances:
    """One jurisdiction's allowances, from issuance to their end."""

    allocated: Figure = field(default_factory=Figure)  # every CEA gram issued
    surrendered: Figure = field(default_factory=Figure)  # as surrender entries record
    offsets_used: Figure = field(default_factory=Figure)
    cancelled: Figure = field(default_factory=Figure)  # postings into cancelled/retired
    surrendered_postings_g: int = 0  # postings into surrendered (allowances only)
    held_g: int = 0  # postings into any other state: banked

    @property
    def lhs_g(self) -> int:
        return self.surrendered.grams + self.held_g

    @property
    def rhs_g(self) -> int:
        return self.allocated.grams + self.offsets_used.grams - self.cancelled.grams

    def as_json(self) -> JsonDict:
        return {
            "allocated": self.allocated.as_json(),
            "surrendered": self.surrendered.as_json(),
            "offsets_used": self.offsets_used.as_json(),
            "cancelled": self.cancelled.as_json(),
            "banked_g": self.held_g,
            "surrendered_plus_banked_g": self.lhs_g,
            "allocated_plus_offsets_minus_cancelled_g": self.rhs_g,
            "reconciles": self.lhs_g == self.rhs_g,
        }


@dataclass(slots=True)
class ObligationOffsets:
    offsets_g: int
    nonlocal_g: int
    cap_g: int
    nonlocal_cap_g: int
    seqs: list[int]


class Integrity:
    """The report, built by feeding the journal in order; also ``verify``'s tracker."""

    def __init__(self) -> None:
        self.cea: dict[int, str] = {}  # asset id → jurisdiction, for CEA batches
        self.allowances: dict[str, Allowances] = {}
        self.periods: dict[tuple[str, str], PeriodFigures] = {}
        self.obligations: dict[tuple[int, str, str], ObligationOffsets] = {}
        self.entries = 0
        self.postings = 0

    def _of(self, jurisdiction: str) -> Allowances:
        return self.allowances.setdefault(jurisdiction, Allowances())

    def _period(self, jurisdiction: str, period: str) -> PeriodFigures:
        return self.periods.setdefault((jurisdiction, period), PeriodFigures())

    # ---- feeding ----------------------------------------------------------------------
    def feed(self, entry: StoredEntry) -> Iterator[Problem]:
        h = entry.header
        self.entries += 1
        self.postings += len(entry.postings)
        batch = h.payload.get("batch")
        if isinstance(batch, dict) and batch.get("instrument") == "CEA":
            self.issued(batch, h.seq)
        if self.cea:
            self._postings(entry)
        if h.op_type.startswith(_COMPLIANCE_PREFIX):
            self._compliance(entry)
        elif h.op_type == PLAIN_SURRENDER_OP:
            asset = int(h.payload.get("asset_id", 0))
            if asset in self.cea:
                self._of(self.cea[asset]).surrendered.add(int(h.payload["quantity"]), h.seq)
        return iter(())

    def issued(self, batch: JsonDict, seq: int) -> None:
        """An issuing entry's batch: a CEA batch is its jurisdiction's allocation."""
        try:
            asset, jurisdiction = int(batch["asset_id"]), str(batch["jurisdiction"])
            issued = int(batch["issued_g"])
        except (KeyError, TypeError, ValueError):
            return  # the ledger's replay flags a malformed batch
        self.cea[asset] = jurisdiction
        self._of(jurisdiction).allocated.add(issued, seq)

    def _postings(self, entry: StoredEntry) -> None:
        p, seq, cea = entry.postings, entry.header.seq, self.cea
        for asset, state, delta in zip(p.assets, p.states, p.deltas, strict=True):
            jurisdiction = cea.get(asset)
            if jurisdiction is None or state == _SOURCE:
                continue
            a = self._of(jurisdiction)
            if state in _CANCELLED_STATES:
                a.cancelled.add(delta, seq)
            elif state == _SURRENDERED:
                a.surrendered_postings_g += delta
            else:
                a.held_g += delta

    def _compliance(self, entry: StoredEntry) -> None:
        h = entry.header
        p = h.payload
        if h.op_type == SURRENDER:
            self._surrender(entry)
            return
        try:
            jurisdiction, period = str(p["jurisdiction"]), str(p["period"])
        except KeyError:
            return
        net = _allocated_net(entry) if h.op_type in ALLOCATION_OPS else 0
        self.capped_or_allocated(h.op_type, h.seq, p, jurisdiction, period, net)

    def capped_or_allocated(
        self, op_type: str, seq: int, p: JsonDict, jurisdiction: str, period: str, net_g: int
    ) -> None:
        """A cap entry, or an allocation entry that gave ``net_g`` (issued − taken back)."""
        figures = self._period(jurisdiction, period)
        if op_type == CAP_OP and "cap_g" in p:
            figures.cap = Figure(int(p["cap_g"]), [seq])  # a later cap replaces it
        if op_type in ALLOCATION_OPS:
            drawn = figures.auctioned if p.get("kind") == AUCTION_KIND else figures.free
            drawn.add(net_g, seq)

    def _surrender(self, entry: StoredEntry) -> None:
        r = recorded(entry)
        if r is not None:  # else the entry's own check flags it
            self.surrendered(r)

    def surrendered(self, r: Recorded) -> None:
        """A ``compliance_surrender`` entry's units, counted."""
        a = self._of(r.jurisdiction)
        figures = self._period(r.jurisdiction, r.period)
        for u in r.units:
            q = int(u["quantity_g"])
            a.surrendered.add(q, r.seq)
            if u["offset"]:
                a.offsets_used.add(q, r.seq)
                figures.offsets_by_type.setdefault(str(u["instrument"]), Figure()).add(q, r.seq)
            else:
                figures.allowances_surrendered.add(q, r.seq)
        seqs = (
            self.obligations[r.obligation_key].seqs if r.obligation_key in self.obligations else []
        )
        self.obligations[r.obligation_key] = ObligationOffsets(
            r.after.offsets_g,
            r.after.nonlocal_offsets_g,
            r.offset_cap_g,
            r.nonlocal_cap_g,
            [*seqs, r.seq],
        )

    # ---- the identities ---------------------------------------------------------------
    def problems(self) -> Iterator[Problem]:
        for (jurisdiction, period), f in sorted(self.periods.items()):
            if f.capped and f.reserve_g < 0:
                yield Problem(
                    "allocation_exceeds_cap",
                    f"{jurisdiction} {period}: cap {f.cap.grams} g < free {f.free.grams} g "
                    f"+ auctioned {f.auctioned.grams} g",
                    f.cap.seqs[-1],
                )
        for jurisdiction, a in sorted(self.allowances.items()):
            if a.lhs_g != a.rhs_g:
                yield Problem(
                    "integrity_mismatch",
                    f"{jurisdiction}: surrendered + banked = {a.lhs_g} g but allocated + "
                    f"offsets used - cancelled = {a.rhs_g} g",
                )
        for (account, jurisdiction, period), o in sorted(self.obligations.items()):
            if o.offsets_g > o.cap_g or o.nonlocal_g > o.nonlocal_cap_g:
                yield Problem(
                    "offsets_above_cap",
                    f"account {account}, {jurisdiction} {period}: {o.offsets_g} g of offsets "
                    f"against a cap of {o.cap_g} g",
                    o.seqs[-1],
                )

    def finish(self) -> Iterator[Problem]:
        return self.problems()

    def as_json(self) -> JsonDict:
        by_period: dict[str, dict[str, JsonDict]] = {}
        for (jurisdiction, period), f in sorted(self.periods.items()):
            by_period.setdefault(jurisdiction, {})[period] = f.as_json()
        return {
            "entries": self.entries,
            "postings": self.postings,
            "jurisdictions": {
                j: {"allowances": a.as_json(), "periods": by_period.get(j, {})}
                for j, a in sorted(self.allowances.items())
            },
            "obligations_over_cap": sum(
                1 for o in self.obligations.values() if o.offsets_g > o.cap_g
            ),
            "problems": [
                {"code": p.code, "message": p.message, "seq": p.seq} for p in self.problems()
            ],
        }


def _allocated_net(entry: StoredEntry) -> int:
    """What an allocation entry gave: issued from the source, less what a negative
    true-up took back (cancelled)."""
    p = entry.postings
    net = 0
    for state, delta in zip(p.states, p.deltas, strict=True):
        if state == _SOURCE or state in _CANCELLED_STATES:
            net -= delta
    return net
