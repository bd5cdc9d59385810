"""Retirements (自愿注销): credits retired for a beneficiary, with a certificate.

The certificate is derived from the journal entry, so it is the same however often it
is read. It is public: it is the proof a beneficiary shows to others.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import HTMLResponse

from pctrade.api import certificate_html, views
from pctrade.api import schemas as s
from pctrade.api.deps import ActorDep, IdempotencyKeyDep, RegistryDep, StoreDep, mark_replay
from pctrade.api.problems import problem_responses
from pctrade.kernel.limits import INT64_MAX
from pctrade.ledger import commands as c
from pctrade.ledger import queries
from pctrade.ledger.operations import Retirement

router = APIRouter(prefix="/retirements", tags=["retirements"])
SeqPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="journal seq of the retirement")]


@router.post("", status_code=201, responses=problem_responses(400, 401, 403, 404, 409, 413, 422))
def retire(
    body: s.RetirementCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    store: StoreDep,
    response: Response,
) -> s.RetiredPublic:
    retirement = Retirement(
        body.beneficiary, body.reason, body.jurisdiction, body.consumption_period
    )
    cmd = c.Retire(body.account, body.asset, body.quantity_g, retirement)
    receipt = registry.retire(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return s.RetiredPublic(
        entry=views.entry(receipt.entry), certificate=_certificate(store, receipt.seq)
    )


def _certificate(store: StoreDep, seq: int) -> s.CertificatePublic:
    return s.CertificatePublic.model_validate(queries.certificate(store, seq))


@router.get("/{seq}/certificate", responses=problem_responses(404, 422))
def certificate(seq: SeqPath, store: StoreDep) -> s.CertificatePublic:
    return _certificate(store, seq)


@router.get(
    "/{seq}/certificate.html",
    response_class=HTMLResponse,
    responses=problem_responses(404, 422),
)
def certificate_page(seq: SeqPath, store: StoreDep) -> HTMLResponse:
    """The certificate as a bilingual page (中文 / English)."""
    return HTMLResponse(certificate_html.render(_certificate(store, seq)))
