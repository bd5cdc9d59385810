"""The regulator console (``/web/regulator``): rules, caps, approvals, review,
surveillance, integrity and fees, each a page of its own under one set of tabs.

Reads come from ``regulator_data`` (the contexts' queries and report services); every
form posts to the service the API's route calls — ``Compliance.preview`` and
``run_allocation``, ``Sinks.approve`` and ``issue``, ``CarbonInclusive.issue``,
``energy.review.decide`` — with the form's own idempotency key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from pctrade.bootstrap import App
from pctrade.compliance import commands as cc
from pctrade.energy import review
from pctrade.energy.behaviour.review import Decision
from pctrade.kernel.errors import PctradeError, ValidationError
from pctrade.ledger.model import Role
from pctrade.web.forms import FormDep, form_field, idempotency_key
from pctrade.web.pages import regulator_data as data
from pctrade.web.pages.amounts import positive_int, tonnes_to_g
from pctrade.web.pages.outcome import Done, Refusal, new_key, refuse, submit
from pctrade.web.session import WebUser, require_role
from pctrade.web.templating import render
from pctrade.web.wiring import app_of

router = APIRouter()
RegulatorDep = Annotated[WebUser, Depends(require_role(Role.REGULATOR))]
VersionQuery = Annotated[
    str | None, Query(max_length=14, pattern=r"^[A-Z]{2,3}/\d{4}-\d{2}-\d{2}$")
]
ALLOCATION_KINDS = ("free", "preallocation", "true_up", "auction")
TABS = (
    ("", "Rules and caps"),
    ("/approvals", "Issuance approvals"),
    ("/review", "Held events"),
    ("/surveillance", "Surveillance"),
    ("/integrity", "Integrity report"),
    ("/fees", "Platform fees"),
)


def _render(
    request: Request, template: str, tab: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    base = {"tabs": TABS, "tab": tab, "new_key": new_key, "done": None, "refused": None}
    return render(request, template, {**base, **context}, status=status)


TabPage = Callable[..., HTMLResponse]


def _tab_page(template: str, tab: str, gather: Callable[[App, str], dict[str, Any]]) -> TabPage:
    """A console tab's page: what ``gather`` reads for the signed-in regulator (by
    party id), with the outcome of the tab's last form beside it (``outcome.submit``)."""

    def page(
        request: Request,
        user: WebUser,
        *,
        done: Done | None = None,
        refused: Refusal | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        shown = gather(app_of(request), user.party_id)
        return _render(request, template, tab, {**shown, "done": done, "refused": refused}, status)

    return page


# ---- rules and caps ------------------------------------------------------------------
def rules_page(
    request: Request,
    user: WebUser,
    *,
    before: str | None = None,
    after: str | None = None,
    preview: Any = None,
    done: Done | None = None,
    refused: Refusal | None = None,
    status: int = 200,
) -> HTMLResponse:
    app = app_of(request)
    sets = data.rule_sets(app)
    changes = None
    if before and after:
        changes = data.rule_diff(app, before, after)
    context = {
        "rule_sets": sets,
        "before": before or "",
        "after": after or "",
        "changes": changes,
        "caps": data.caps(app, user.party_id),
        "kinds": ALLOCATION_KINDS,
        "preview": preview,
        "done": done,
        "refused": refused,
    }
    return _render(request, "regulator/index.html", "", context, status)


@router.get("/regulator", response_class=HTMLResponse)
def rules(
    request: Request,
    user: RegulatorDep,
    before: Annotated[VersionQuery, Query(alias="from")] = None,
    after: Annotated[VersionQuery, Query(alias="to")] = None,
) -> HTMLResponse:
    return rules_page(request, user, before=before, after=after)


def allocation_command(form: dict[str, str]) -> cc.RunAllocation:
    kind = form_field(form, "kind")
    jurisdiction, period = form_field(form, "jurisdiction").upper(), form_field(form, "period")
    if kind == "auction":
        return cc.RunAllocation(
            jurisdiction, period, kind, auctioned_g=tonnes_to_g(form.get("auctioned", ""))
        )
    installation = cc.InstallationOf(
        positive_int(form.get("account", ""), "account"),
        form_field(form, "unit_type"),
        form_field(form, "output"),
        positive_int(form.get("output_units", ""), "output units"),
    )
    return cc.RunAllocation(jurisdiction, period, kind, (installation,))


@router.post("/regulator/allocations", response_class=HTMLResponse)
def allocation(request: Request, user: RegulatorDep, form: FormDep) -> HTMLResponse:
    """Preview an allocation run (writes nothing) or run it (one entry)."""
    app = app_of(request)
    if form.get("action") == "preview":
        try:
            shown = app.compliance.preview(user.party_id, allocation_command(form))
        except PctradeError as exc:
            return refuse(request, rules_page, exc, user=user)
        return rules_page(request, user, preview=shown)

    def write() -> Done:
        cmd = allocation_command(form)
        receipt = app.compliance.run_allocation(user.party_id, idempotency_key(form), cmd)
        return Done("Allocation run recorded", str(receipt.entry.seq), receipt.replayed)

    return submit(request, rules_page, write, user=user)


# ---- issuance approvals --------------------------------------------------------------
approvals_page = _tab_page(
    "regulator/approvals.html", "/approvals", lambda app, _: data.approvals(app)
)


@router.get("/regulator/approvals", response_class=HTMLResponse)
def approvals(request: Request, user: RegulatorDep) -> HTMLResponse:
    return approvals_page(request, user)


@router.post("/regulator/approvals/projects", response_class=HTMLResponse)
def approve_project(request: Request, user: RegulatorDep, form: FormDep) -> HTMLResponse:
    """Approve a registered sink project: sponsorship opens."""

    def write() -> Done:
        code = form_field(form, "project")
        row = app_of(request).sinks.approve(user.party_id, idempotency_key(form), code)
        return Done("Project approved", code, row.replayed)

    return submit(request, approvals_page, write, user=user)


@router.post("/regulator/approvals/sink-reports", response_class=HTMLResponse)
def issue_sink_report(request: Request, user: RegulatorDep, form: FormDep) -> HTMLResponse:
    """Issue PCER for a verified monitoring report: to every sponsor and the buffer."""

    def write() -> Done:
        report_id = positive_int(form.get("report", ""), "report")
        issued = app_of(request).sinks.issue(user.party_id, idempotency_key(form), report_id)
        return Done("PCER issued", issued.batch, issued.replayed)

    return submit(request, approvals_page, write, user=user)


@router.post("/regulator/approvals/inclusive", response_class=HTMLResponse)
def issue_inclusive(request: Request, user: RegulatorDep, form: FormDep) -> HTMLResponse:
    """Issue a verified carbon-inclusive request as one PCER batch."""

    def write() -> Done:
        issuance_id = positive_int(form.get("issuance", ""), "issuance")
        done = app_of(request).inclusive.issue(user.party_id, idempotency_key(form), issuance_id)
        return Done("PCER issued", done.batch, done.replayed)

    return submit(request, approvals_page, write, user=user)


# ---- held behaviour events -------------------------------------------------------------
review_page = _tab_page(
    "regulator/review.html", "/review", lambda app, who: {"held": data.held_events(app, who)}
)


@router.get("/regulator/review", response_class=HTMLResponse)
def held(request: Request, user: RegulatorDep) -> HTMLResponse:
    return review_page(request, user)


@router.post("/regulator/review", response_class=HTMLResponse)
def decide(request: Request, user: RegulatorDep, form: FormDep) -> HTMLResponse:
    """Release or reject one held event, with the reason (recorded once)."""

    def write() -> Done:
        decision = form.get("decision", "")
        if decision not in {str(d) for d in Decision}:
            raise ValidationError("choose release or reject", code="bad_enum")
        report = review.decide(
            app_of(request).registry,
            user.party_id,
            idempotency_key(form),
            form_field(form, "partner"),
            form.get("event", "").strip()[:128],
            Decision(decision),
            form.get("reason", ""),
        )
        what = "Event released" if report.decision == "released" else "Event rejected"
        return Done(what, report.event_id, report.replayed)

    return submit(request, review_page, write, user=user)


# ---- reports -----------------------------------------------------------------------------
surveillance_page = _tab_page(
    "regulator/surveillance.html",
    "/surveillance",
    lambda app, who: {
        "reports": data.surveillance(app, who),
        "positions": data.positions(app, who),
    },
)
integrity_page = _tab_page(
    "regulator/integrity.html", "/integrity", lambda app, who: {"report": data.integrity(app, who)}
)
fees_page = _tab_page(
    "regulator/fees.html", "/fees", lambda app, who: {"levels": data.fee_levels(app, who)}
)


@router.get("/regulator/surveillance", response_class=HTMLResponse)
def surveillance(request: Request, user: RegulatorDep) -> HTMLResponse:
    return surveillance_page(request, user)


@router.get("/regulator/integrity", response_class=HTMLResponse)
def integrity(request: Request, user: RegulatorDep) -> HTMLResponse:
    return integrity_page(request, user)


@router.get("/regulator/fees", response_class=HTMLResponse)
def fees(request: Request, user: RegulatorDep) -> HTMLResponse:
    return fees_page(request, user)
