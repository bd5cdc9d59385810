"""Retirements (自愿注销): credits retired for a beneficiary, with a certificate.

A certificate is derived from its journal entry, so it is the same however often it is
read. Its id, ``RC-{seq}-{token}``, is what the retirement answers; the token is random,
so certificates cannot be listed by counting. Two ways to read one:

- ``GET /certificates/{certificate_id}`` (and ``….html``): public, for whoever was given
  the id — the proof a beneficiary shows to others. The beneficiary's name appears only
  if the retiring party chose ``publish_beneficiary``; an individual's account number
  never does.
- ``GET /retirements/{seq}/certificate``: the full certificate, for the retiring
  account's holder, its agents and the authorities (how a holder finds the id again).
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
from pctrade.ledger import queries, reads
from pctrade.ledger.certificates import CERTIFICATE_ID_LEN_MAX, CERTIFICATE_ID_PATTERN
from pctrade.ledger.operations import Retirement

router = APIRouter(tags=["retirements"])
SeqPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="journal seq of the retirement")]
CertificatePath = Annotated[
    str,
    Path(
        max_length=CERTIFICATE_ID_LEN_MAX,
        pattern=CERTIFICATE_ID_PATTERN,
        description="the id the retirement answered, RC-{seq}-{token}",
    ),
]


@router.post(
    "/retirements",
    status_code=201,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422),
)
def retire(
    body: s.RetirementCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    store: StoreDep,
    response: Response,
) -> s.RetiredPublic:
    """Retire credits for good; the answer holds the full certificate and its id."""
    retirement = Retirement(
        body.beneficiary,
        body.reason,
        body.jurisdiction,
        body.consumption_period,
        body.publish_beneficiary,
    )
    cmd = c.Retire(body.account, body.asset, body.quantity_g, retirement)
    receipt = registry.retire(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return s.RetiredPublic(
        entry=views.entry(receipt.entry),
        certificate=views.certificate(queries.certificate(store, receipt.seq)),
    )


@router.get("/retirements/{seq}/certificate", responses=problem_responses(401, 403, 404, 422))
def full_certificate(seq: SeqPath, actor: ActorDep, store: StoreDep) -> s.CertificatePublic:
    """The full certificate, for the retiring account's readers and the authorities."""
    return views.certificate(reads.certificate(store, actor, seq))


# The page's route comes first: ``{certificate_id}`` alone would match ``….html`` too.
@router.get(
    "/certificates/{certificate_id}.html",
    response_class=HTMLResponse,
    responses=problem_responses(404, 422),
)
def certificate_page(certificate_id: CertificatePath, store: StoreDep) -> HTMLResponse:
    """The public certificate as a bilingual page (中文 / English)."""
    cert = views.certificate(queries.public_certificate(store, certificate_id))
    return HTMLResponse(certificate_html.render(cert))


@router.get("/certificates/{certificate_id}", responses=problem_responses(404, 422))
def public_certificate(certificate_id: CertificatePath, store: StoreDep) -> s.CertificatePublic:
    """The public certificate, for whoever holds its id."""
    return views.certificate(queries.public_certificate(store, certificate_id))
