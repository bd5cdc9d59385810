"""Surrender (清缴), status and the compliance reports over HTTP (issue 15).

- ``POST /compliance/surrenders``: an emitter surrenders allowances and offsets for a
  period in one entry (``compliance.surrender_service``); every refusal is the domain's
  code (``surrender_after_deadline``, ``vintage_not_admitted``, ``offsets_above_cap``,
  ``offset_type_not_admitted``, ``emissions_not_verified``, …) and writes nothing;
- ``GET /compliance/status/{jurisdiction}/{period}/{account_id}``: the emitter's status
  (A/B/C), shortfall and penalty (its holder, agents, the authorities);
- ``GET /compliance/status/{jurisdiction}/{period}``: the regulator's report of the
  period (every emitter's status; emissions reports are MRV's ``/compliance/reports``);
- ``GET /compliance/integrity``: the cap-integrity report from the journal alone.

A penalty that is a multiple of the shortfall's market value is valued at the average
of the registry's own allowance trades in the window the rule set names (the national
market since 2024-05-01: the month before the deadline; Shenzhen: six months), or at
``price_fen_per_t`` when given (the regulator's choice of reference price, an override).
``penalty.price`` says which, with the window and the trades counted, or why the fine
is unknown (``no_trades``, ``no_window``); ``penalty.rule_set`` is the rule set in force
on the deadline, which sets the penalty.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from pctrade.api import views
from pctrade.api.deps import ActorDep, AppDep, IdempotencyKeyDep, mark_replay
from pctrade.api.problems import problem_responses
from pctrade.api.schemas import Body, EntryPublic
from pctrade.compliance.surrender_commands import SurrenderUnits
from pctrade.compliance.surrendering import UNITS_MAX
from pctrade.kernel.limits import INT64_MAX

router = APIRouter(tags=["compliance"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 422)
READ_ERRORS = problem_responses(401, 403, 404, 409, 422)

Jurisdiction = Annotated[str, Path(min_length=2, max_length=3, pattern=r"^[A-Z]+$")]
Period = Annotated[
    str, Path(min_length=4, max_length=9, pattern=r"^\d{4}(-\d{4})?$", description="2025")
]
AccountId = Annotated[int, Field(strict=True, gt=0, le=INT64_MAX)]
Grams = Annotated[int, Field(strict=True, gt=0, le=INT64_MAX)]
Price = Annotated[
    int | None,
    Query(ge=1, le=10**12, description="fen per tonne; overrides the market average"),
]


class SurrenderedBatch(Body):
    batch: Annotated[str, Field(min_length=8, max_length=64, description="CEA-GD-ALLOC-2025-001")]
    quantity_g: Grams


class SurrenderBody(Body):
    account_id: AccountId
    jurisdiction: Annotated[str, Field(min_length=2, max_length=3, pattern=r"^[A-Z]+$")]
    period: Annotated[str, Field(min_length=4, max_length=9, pattern=r"^\d{4}(-\d{4})?$")]
    units: Annotated[list[SurrenderedBatch], Field(min_length=1, max_length=UNITS_MAX)]

    def command(self) -> SurrenderUnits:
        return SurrenderUnits(
            self.account_id,
            self.jurisdiction,
            self.period,
            tuple(u.batch for u in self.units),
            tuple(u.quantity_g for u in self.units),
        )


@router.post("/compliance/surrenders", status_code=201, responses=WRITE_ERRORS)
def surrender(
    body: SurrenderBody,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: AppDep,
    response: Response,
) -> EntryPublic:
    """Surrender allowances and offsets for a period: ONE ``compliance_surrender`` entry,
    the units terminal; the payload records the rule set, the obligation and the cap."""
    receipt = app.surrenders.surrender(actor.party_id, key, body.command())
    mark_replay(receipt, response)
    return views.entry(receipt.entry)


@router.get("/compliance/status/{jurisdiction}/{period}/{account_id}", responses=READ_ERRORS)
def status(
    jurisdiction: Jurisdiction,
    period: Period,
    account_id: Annotated[int, Path(gt=0, le=INT64_MAX)],
    actor: ActorDep,
    app: AppDep,
    price_fen_per_t: Price = None,
) -> dict[str, Any]:
    """The emitter's status for the period: A, B or C, the shortfall, the penalty, and
    the surrender entries that counted."""
    reports = app.compliance_reports
    reports.require_reader(actor.party_id, account_id)
    return reports.status(account_id, jurisdiction, period, price_fen_per_t).as_json()


@router.get("/compliance/status/{jurisdiction}/{period}", responses=READ_ERRORS)
def compliance_report(
    jurisdiction: Jurisdiction,
    period: Period,
    actor: ActorDep,
    app: AppDep,
    price_fen_per_t: Price = None,
) -> dict[str, Any]:
    """The regulator's report of a period: every emitter's status and the totals."""
    app.compliance_reports.require_reader(actor.party_id)
    return app.compliance_reports.compliance_report(jurisdiction, period, price_fen_per_t)


@router.get("/compliance/integrity", responses=problem_responses(401, 403, 422))
def integrity(actor: ActorDep, app: AppDep) -> dict[str, Any]:
    """The cap-integrity report from the journal alone, every figure with its entries."""
    app.compliance_reports.require_reader(actor.party_id)
    return app.compliance_reports.integrity().as_json()
