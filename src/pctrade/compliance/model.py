"""The compliance context's journal entries: op types, pure planners, replay checks.

Four op types (their strings are hashed into the journal: never renamed):

- ``compliance_cap``: the regulator sets a jurisdiction's cap for a period. No postings;
  the payload is the cap and the rule set (version and digest) it was set under.
- ``compliance_allocate``: one allocation run (free, pre-allocation, true-up, or paid
  allocation issued into the auction account for one-way bidding) as ONE entry: a new
  CEA batch issued to every recipient out of the issuance account, and, for a true-up
  that takes allowances back, the emitter's available CEA of the period cancelled
  (``available`` → ``cancelled`` on its own account, terminal). What a true-up cannot
  take because the emitter holds too little is recorded as the emitter's debt
  (``debt_g``): the grams stay in circulation, so the cap counts them as drawn.
- ``compliance_take_back``: a true-up run that issues nothing (every figure at or below
  what was pre-allocated): the same payload without a batch, only cancellations.
- ``emissions_report``: one step of an emitter's annual report (submit, verify, send
  back, confirm). No postings; the payload is the step, its figure and the rule set.

A true-up under a dynamic adjustment (Fujian) also records ``adjustment``: the band it
applied and, per emitter, the method's figure, the verified emissions and the final
figure, which replay recomputes (``compliance.allocation.dynamically_adjusted_g``).

Every allocation entry records what the cap holds and what the jurisdiction's runs
have drawn from it once this run is in (``drawn_g``: Σ granted − Σ taken of every run,
auctions included); replay (``CapTracker``) recomputes that sum from the journal alone
and flags a run that passed the cap or a payload whose figure is not the sum.

Problems (codes are stable): ``compliance_cap_mismatch``, ``compliance_allocation_mismatch``,
``compliance_no_cap``, ``allocation_exceeds_cap``, ``compliance_report_mismatch``,
``compliance_report_out_of_order``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pctrade.compliance.allocation import Band, dynamically_adjusted_g
from pctrade.compliance.emissions import SourceStream, emissions_g
from pctrade.kernel.errors import PctradeError, ValidationError
from pctrade.kernel.limits import INT64_MAX
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import AccountId, AssetId, Batch, State, SystemAccount
from pctrade.ledger.operations import (
    EMPTY_POSTINGS,
    Plan,
    batch_payload,
    checked_text,
    issued_total,
)
from pctrade.ledger.postings import Posting, Postings
from pctrade.rules.model import period_years

REASON_LEN_MAX = 500
STREAM_NAME_LEN_MAX = 100
STREAM_UNIT_LEN_MAX = 16


class ComplianceOp(StrEnum):
    """The compliance context's op types: the strings its entries record."""

    CAP = "compliance_cap"
    ALLOCATE = "compliance_allocate"
    TAKE_BACK = "compliance_take_back"
    EMISSIONS = "emissions_report"
    # An emitter's surrender (清缴): planned by ``compliance.surrendering`` and registered,
    # with its checks, by ``compliance.surrender_context``.
    SURRENDER = "compliance_surrender"


ALLOCATION_OPS = frozenset({ComplianceOp.ALLOCATE, ComplianceOp.TAKE_BACK})


class AllocationKind(StrEnum):
    FREE = "free"  # benchmark × output × factors, once
    PREALLOCATION = "preallocation"  # preallocation_bps of benchmark × prior-year output
    TRUE_UP = "true_up"  # the verified year's figure less what was pre-allocated
    AUCTION = "auction"  # paid allocation, issued into the auction account


class ReportStep(StrEnum):
    SUBMIT = "submit"
    VERIFY = "verify"
    SEND_BACK = "send_back"
    CONFIRM = "confirm"


class ReportState(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    VERIFIED = "verified"
    CONFIRMED = "confirmed"


# Which state a step moves a report to, and the states it may start from (None: no
# report yet). A returned report is submitted again; nothing follows a confirmation.
STEP_TO: dict[ReportStep, ReportState] = {
    ReportStep.SUBMIT: ReportState.SUBMITTED,
    ReportStep.VERIFY: ReportState.VERIFIED,
    ReportStep.SEND_BACK: ReportState.RETURNED,
    ReportStep.CONFIRM: ReportState.CONFIRMED,
}
STEP_FROM: dict[ReportStep, frozenset[ReportState | None]] = {
    ReportStep.SUBMIT: frozenset({None, ReportState.RETURNED}),
    ReportStep.VERIFY: frozenset({ReportState.SUBMITTED}),
    ReportStep.SEND_BACK: frozenset({ReportState.SUBMITTED}),
    ReportStep.CONFIRM: frozenset({ReportState.VERIFIED}),
}


@dataclass(frozen=True, slots=True)
class Citation:
    """The rule set a decision was made under: its version and its file's digest."""

    rule_set: str
    digest: str

    def payload(self) -> JsonDict:
        return {"rule_set": self.rule_set, "rule_set_digest": self.digest}


def report_id_of(jurisdiction: str, period: str, account_id: AccountId) -> str:
    """One report per emitter account, jurisdiction and period: ``ER-GD-2025-1001``."""
    return f"ER-{jurisdiction}-{period}-{account_id}"


# ---- caps --------------------------------------------------------------------------
def plan_cap(jurisdiction: str, period: str, cap_g: int, cites: Citation) -> Plan:
    """The regulator's cap for ``period``: an entry without postings."""
    period_years(period)
    if isinstance(cap_g, bool) or not isinstance(cap_g, int) or cap_g <= 0:
        raise ValidationError("a cap is a positive whole number of grams", code="bad_cap")
    payload = {"jurisdiction": jurisdiction, "period": period, "cap_g": cap_g, **cites.payload()}
    return Plan(ComplianceOp.CAP, payload)


def check_cap(entry: StoredEntry) -> Iterator[Problem]:
    p = entry.header.payload
    cap = p.get("cap_g")
    if len(entry.postings) or not isinstance(cap, int) or cap <= 0:
        yield Problem("compliance_cap_mismatch", "a cap moves nothing", entry.header.seq)


# ---- allocation runs ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Line:
    """One recipient of a run: grams issued to it, grams taken back from its available
    CEA of the period (per batch), and what could not be taken (its debt)."""

    account_id: AccountId
    granted_g: int = 0
    taken: tuple[tuple[AssetId, int], ...] = ()
    debt_g: int = 0

    @property
    def taken_g(self) -> int:
        return sum(g for _, g in self.taken)


@dataclass(frozen=True, slots=True)
class Adjusted:
    """One emitter's dynamically adjusted figure: the method's, the verified emissions
    it was bounded by, and the final one the true-up settles to."""

    account_id: AccountId
    method_g: int
    verified_g: int
    final_g: int


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A true-up's dynamic adjustment: the band, and every emitter's figures."""

    band: Band
    figures: tuple[Adjusted, ...]

    def payload(self) -> JsonDict:
        return {
            "gap_max_bps": self.band.gap_max_bps,
            "surplus_max_bps": self.band.surplus_max_bps,
            "figures": [[a.account_id, a.method_g, a.verified_g, a.final_g] for a in self.figures],
        }


@dataclass(frozen=True, slots=True)
class Run:
    """What an allocation run cites and draws: the cap, and what earlier runs drew."""

    jurisdiction: str
    period: str
    kind: AllocationKind
    cites: Citation
    cap_g: int
    drawn_before_g: int
    lines: tuple[Line, ...] = field(default=())
    adjustment: Adjustment | None = None

    @property
    def granted_g(self) -> int:
        return sum(line.granted_g for line in self.lines)

    @property
    def taken_g(self) -> int:
        return sum(line.taken_g for line in self.lines)

    @property
    def debt_g(self) -> int:
        return sum(line.debt_g for line in self.lines)

    @property
    def drawn_g(self) -> int:
        return self.drawn_before_g + self.granted_g - self.taken_g


def plan_allocate(run: Run, batch: Batch | None) -> Plan:
    """The run's one entry: the batch issued to every line's grams, and take-backs."""
    if not run.lines:
        raise ValidationError("an allocation run has recipients", code="missing_field")
    granted = [(line.account_id, line.granted_g) for line in run.lines if line.granted_g > 0]
    if (batch is None) != (not granted):
        raise ValidationError("a run issues a batch exactly when it grants", code="bad_request")
    rows: list[Posting] = []
    payload: JsonDict = {}
    if batch is not None:
        total = issued_total(batch, [g for _, g in granted])
        payload = batch_payload(batch, total, len(granted))
        rows.append(Posting(SystemAccount.ISSUANCE, batch.asset_id, State.SOURCE, -total))
        rows.extend(Posting(a, batch.asset_id, State.AVAILABLE, g) for a, g in granted)
    for line in run.lines:
        for asset_id, grams in line.taken:
            rows.append(Posting(line.account_id, asset_id, State.AVAILABLE, -grams))
            rows.append(Posting(line.account_id, asset_id, State.CANCELLED, grams))
    payload.update(_run_payload(run))
    op = ComplianceOp.ALLOCATE if batch is not None else ComplianceOp.TAKE_BACK
    postings = Postings.of(rows) if rows else EMPTY_POSTINGS
    return Plan(op, payload, postings=postings, batch=batch)


def _run_payload(run: Run) -> JsonDict:
    adjusted = {} if run.adjustment is None else {"adjustment": run.adjustment.payload()}
    return {
        **adjusted,
        "jurisdiction": run.jurisdiction,
        "period": run.period,
        "kind": str(run.kind),
        **run.cites.payload(),
        "cap_g": run.cap_g,
        "drawn_g": run.drawn_g,
        "granted_g": run.granted_g,
        "taken_g": run.taken_g,
        "debt_g": run.debt_g,
        "lines": [
            [line.account_id, line.granted_g, [list(t) for t in line.taken], line.debt_g]
            for line in run.lines
        ],
    }


def lines_of(payload: JsonDict) -> list[Line]:
    """The lines an allocation entry recorded, read back from its payload."""
    return [
        Line(int(a), int(g), tuple((int(x), int(y)) for x, y in taken), int(d))
        for a, g, taken, d in payload["lines"]
    ]


def _expected_postings(payload: JsonDict, lines: Sequence[Line]) -> dict[tuple[int, int, int], int]:
    expected: dict[tuple[int, int, int], int] = {}

    def add(key: tuple[int, int, int], delta: int) -> None:
        expected[key] = expected.get(key, 0) + delta

    batch = payload.get("batch")
    for line in lines:
        if line.granted_g and isinstance(batch, dict):
            add((line.account_id, int(batch["asset_id"]), int(State.AVAILABLE)), line.granted_g)
        for asset_id, grams in line.taken:
            add((line.account_id, asset_id, int(State.AVAILABLE)), -grams)
            add((line.account_id, asset_id, int(State.CANCELLED)), grams)
    return {k: v for k, v in expected.items() if v}


def check_allocate(entry: StoredEntry) -> Iterator[Problem]:
    """The postings are exactly the payload's lines, whose sums are the payload's."""
    seq, p = entry.header.seq, entry.header.payload
    try:
        lines = lines_of(p)
    except (KeyError, TypeError, ValueError):
        yield Problem("compliance_allocation_mismatch", "unreadable allocation lines", seq)
        return
    posted = {
        (int(a), int(asset), int(s)): d
        for (a, asset, s), d in entry.postings.net_by_key().items()
        if s != State.SOURCE and d
    }
    sums = (
        sum(line.granted_g for line in lines),
        sum(line.taken_g for line in lines),
        sum(line.debt_g for line in lines),
    )
    if posted != _expected_postings(p, lines) or sums != (
        p.get("granted_g"),
        p.get("taken_g"),
        p.get("debt_g"),
    ):
        yield Problem("compliance_allocation_mismatch", "postings differ from the run", seq)
    if p.get("kind") == AllocationKind.AUCTION and {x.account_id for x in lines} != {
        int(SystemAccount.AUCTION)
    }:
        yield Problem("compliance_allocation_mismatch", "an auction issues to the auction", seq)
    if isinstance(p.get("drawn_g"), int) and p["drawn_g"] > int(p.get("cap_g", 0)):
        yield Problem("allocation_exceeds_cap", "the run drew beyond the cap", seq)
    if "adjustment" in p and not _adjustment_holds(p["adjustment"]):
        yield Problem("compliance_allocation_mismatch", "an adjusted figure is not the band's", seq)


def _adjustment_holds(recorded: object) -> bool:
    """Every final figure is the method's bounded by the verified emissions."""
    if not isinstance(recorded, dict):
        return False
    try:
        band = Band(recorded["gap_max_bps"], recorded["surplus_max_bps"])
        return all(
            int(final) == dynamically_adjusted_g(int(method), int(verified), band)
            for _, method, verified, final in recorded["figures"]
        )
    except (KeyError, TypeError, ValueError, PctradeError):
        return False


# ---- emissions reports -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Step:
    """One step of an annual emissions report, as its entry records it."""

    report_id: str
    step: ReportStep
    jurisdiction: str
    period: str
    emitter_account: AccountId
    version: int  # the submission this step is about
    figure_g: int | None  # reported, verified or confirmed grams; None when sent back
    cites: Citation
    reason: str = ""
    streams: tuple[SourceStream, ...] = ()
    affiliates: tuple[str, ...] = ()


def plan_emissions(step: Step) -> Plan:
    """A report step: an entry without postings (figures and streams in its payload)."""
    reason = checked_text(step.reason, "reason", REASON_LEN_MAX, required=False)
    if step.step is ReportStep.SEND_BACK and not reason:
        raise ValidationError("a report sent back says why", code="missing_reason")
    if step.step is ReportStep.SUBMIT:
        _check_streams(step.streams)
        if step.figure_g != emissions_g(step.streams):
            raise ValidationError("the reported figure is its streams' sum", code="bad_request")
    if step.figure_g is not None and step.figure_g < 0:
        raise ValidationError("emissions are never negative", code="negative_activity")
    payload: JsonDict = {
        "report_id": step.report_id,
        "step": str(step.step),
        "jurisdiction": step.jurisdiction,
        "period": step.period,
        "emitter_account": step.emitter_account,
        "version": step.version,
        "figure_g": step.figure_g,
        "reason": reason,
        **step.cites.payload(),
    }
    if step.step is ReportStep.SUBMIT:
        payload["streams"] = [
            [s.name, s.activity_units, s.unit, s.factor_mg_per_unit] for s in step.streams
        ]
        payload["affiliates"] = sorted(step.affiliates)
    return Plan(ComplianceOp.EMISSIONS, payload)


def _check_streams(streams: Sequence[SourceStream]) -> None:
    """Names and units fit their columns; each figure fits 64 bits."""
    for s in streams:
        checked_text(s.name, "a source stream's name", STREAM_NAME_LEN_MAX)
        checked_text(s.unit, f"{s.name}'s unit", STREAM_UNIT_LEN_MAX)
        for value in (s.activity_units, s.factor_mg_per_unit):
            if isinstance(value, int) and value > INT64_MAX:
                raise ValidationError(f"{s.name}: {value} is beyond range", code="out_of_range")


def streams_of(payload: JsonDict) -> tuple[SourceStream, ...]:
    return tuple(SourceStream(str(n), a, str(u), f) for n, a, u, f in payload.get("streams", ()))


def check_emissions(entry: StoredEntry) -> Iterator[Problem]:
    """No postings; a submission's figure is its streams' emissions, recomputed."""
    seq, p = entry.header.seq, entry.header.payload
    if len(entry.postings):
        yield Problem("compliance_report_mismatch", "a report step moves nothing", seq)
    if p.get("step") == ReportStep.SUBMIT:
        try:
            recomputed: int | None = emissions_g(streams_of(p))
        except (PctradeError, TypeError, ValueError):
            recomputed = None
        if recomputed is None or recomputed != p.get("figure_g"):
            yield Problem("compliance_report_mismatch", "figure differs from its streams", seq)


# ---- across entries: caps drawn, reports in order -----------------------------------
class CapTracker:
    """Replays caps and runs per jurisdiction and period, and each report's states."""

    def __init__(self) -> None:
        self.caps: dict[tuple[str, str], int] = {}
        self.drawn: dict[tuple[str, str], int] = {}
        self.reports: dict[str, ReportState] = {}

    def feed(self, entry: StoredEntry) -> Iterable[Problem]:
        op = entry.header.op_type
        if op == ComplianceOp.CAP:
            return self._cap(entry)
        if op in ALLOCATION_OPS:
            return self._run(entry)
        if op == ComplianceOp.EMISSIONS:
            return self._step(entry)
        return ()

    def finish(self) -> Iterable[Problem]:
        return ()

    def _cap(self, entry: StoredEntry) -> list[Problem]:
        p = entry.header.payload
        key = (str(p.get("jurisdiction")), str(p.get("period")))
        if key in self.caps:
            return [Problem("compliance_cap_mismatch", f"{key} capped twice", entry.header.seq)]
        self.caps[key] = int(p.get("cap_g") or 0)
        return []

    def _run(self, entry: StoredEntry) -> list[Problem]:
        seq, p = entry.header.seq, entry.header.payload
        key = (str(p.get("jurisdiction")), str(p.get("period")))
        if key not in self.caps:
            return [Problem("compliance_no_cap", f"{key} allocated without a cap", seq)]
        drawn = self.drawn.get(key, 0) + int(p.get("granted_g", 0)) - int(p.get("taken_g", 0))
        self.drawn[key] = drawn
        problems = []
        if drawn != p.get("drawn_g") or self.caps[key] != p.get("cap_g"):
            problems.append(Problem("compliance_allocation_mismatch", "drawn ≠ runs' sum", seq))
        if drawn > self.caps[key]:
            problems.append(Problem("allocation_exceeds_cap", f"{key}: {drawn} g drawn", seq))
        return problems

    def _step(self, entry: StoredEntry) -> list[Problem]:
        p = entry.header.payload
        report = str(p.get("report_id"))
        try:
            step = ReportStep(str(p.get("step")))
        except ValueError:
            return [Problem("compliance_report_mismatch", "unknown step", entry.header.seq)]
        if self.reports.get(report) not in STEP_FROM[step]:
            self.reports[report] = STEP_TO[step]
            return [
                Problem("compliance_report_out_of_order", f"{report}: {step}", entry.header.seq)
            ]
        self.reports[report] = STEP_TO[step]
        return []
