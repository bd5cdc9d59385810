"""The regulator console: rule sets and their diff, caps with an allocation preview,
approvals, held events to review, surveillance, the integrity report and fee levels."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_world import NEW_PROJECT, form_fields, main_text, sign_in
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pctrade.bootstrap import App
from pctrade.compliance import queries as compliance_queries
from pctrade.energy import review
from pctrade.ledger.write import acting_party
from pctrade.sinks.queries import projects_for_review


@pytest.fixture
def regulator(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web) as client:
        sign_in(client, "regulator")
        yield client


def _undecided(app: App) -> list[str]:
    with app.store.reader() as uow:
        who = acting_party(uow, "mee")
    return [h.event_id for h in review.undecided_for(who, app.store)]


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/web/regulator", ("GD/2022-05-06", "GD 2026", "Cap 265,000,000 t")),
        ("/web/regulator/approvals", (NEW_PROJECT, "registered", "PCER-GD-CI-2026Q3-001")),
        ("/web/regulator/review", ("gd-metro-app", "implausible_speed")),
        (
            "/web/regulator/surveillance",
            (
                "CEA-GD-2026",
                "concentration Nov 23, 2026 lvyuan",
                "BJ BJ/2014-01-01 Counted: CEA · Limit: 1,000,000 t",
                "No position limit in these rule sets: CN/2024-05-01, CQ/2014-04-26",
            ),
        ),
        ("/web/regulator/integrity", ("GD reconciles", "problems: 0")),
        ("/web/regulator/fees", ("POOL-GD-0001", "5%")),
    ],
)
def test_each_console_page_shows_its_figures(
    regulator: TestClient, path: str, shown: tuple[str, ...]
) -> None:
    answer = regulator.get(f"{path}?lang=en")
    assert answer.status_code == 200
    text = main_text(answer.text)
    for expected in shown:
        assert expected in text


def test_the_console_is_the_regulators_only(web: FastAPI) -> None:
    with TestClient(web) as client:
        sign_in(client, "emitter")
        assert client.get("/web/regulator/integrity").status_code == 403


def test_the_diff_lists_what_changed_between_two_rule_sets(regulator: TestClient) -> None:
    text = main_text(
        regulator.get("/web/regulator?lang=en&from=CN/2021-02-01&to=GD/2022-05-06").text
    )
    assert "From CN/2021-02-01 to GD/2022-05-06" in text
    assert "jurisdiction CN GD" in text


def test_an_allocation_preview_writes_nothing_and_a_refusal_shows_its_code(
    regulator: TestClient, console_app: App
) -> None:
    before = compliance_queries.cap_status(console_app.store, "GD", "2026")
    page = regulator.get("/web/regulator?lang=en").text
    preview = {
        **form_fields(page, "/web/regulator/allocations"),
        "jurisdiction": "GD",
        "period": "2026",
        "kind": "auction",
        "auctioned": "1000",
        "action": "preview",
    }
    shown = regulator.post("/web/regulator/allocations?lang=en", data=preview)
    assert shown.status_code == 200
    assert "Preview of the auction run of GD 2026 (nothing written)" in main_text(shown.text)
    assert compliance_queries.cap_status(console_app.store, "GD", "2026") == before
    refused = regulator.post("/web/regulator/allocations", data={**preview, "period": "2031"})
    assert refused.status_code == 409 and '<code class="error-code">no_cap</code>' in refused.text


def test_approving_a_project_opens_it_once(regulator: TestClient, console_app: App) -> None:
    page = regulator.get("/web/regulator/approvals?lang=en").text
    fields = {**form_fields(page, "/web/regulator/approvals/projects"), "project": NEW_PROJECT}
    done = regulator.post("/web/regulator/approvals/projects?lang=en", data=fields)
    assert done.status_code == 200 and f"Project approved: {NEW_PROJECT}" in main_text(done.text)
    status = {p["code"]: p["status"] for p in projects_for_review(console_app.registry)}
    assert status[NEW_PROJECT] == "approved"
    again = regulator.post("/web/regulator/approvals/projects?lang=en", data=fields)
    assert "already done" in again.text
    assert "Approve" not in main_text(again.text).split(NEW_PROJECT)[1].split("Report")[0]
    # A new request (another key) to approve it again: it is approved already.
    refused = regulator.post(
        "/web/regulator/approvals/projects", data={**fields, "idempotency_key": "another"}
    )
    assert refused.status_code == 409
    assert '<code class="error-code">wrong_project_status</code>' in refused.text


def test_a_held_event_is_released_with_a_reason_and_leaves_the_queue(
    regulator: TestClient, console_app: App
) -> None:
    first = _undecided(console_app)[0]
    page = regulator.get("/web/regulator/review?lang=en").text
    decision = {
        **form_fields(page, "/web/regulator/review"),
        "partner": "gd-metro-app",
        "event": first,
        "decision": "release",
        "reason": "",
    }
    refused = regulator.post("/web/regulator/review", data=decision)
    assert (
        refused.status_code == 422 and '<code class="error-code">bad_reason</code>' in refused.text
    )
    assert _undecided(console_app)[0] == first
    released = regulator.post(
        "/web/regulator/review?lang=en", data={**decision, "reason": "GPS checked: a bus"}
    )
    assert released.status_code == 200 and f"Event released: {first}" in main_text(released.text)
    assert first not in _undecided(console_app)


def test_the_winter_quarter_waits_for_issuance_and_is_issued_once(
    regulator: TestClient, console_app: App
) -> None:
    page = regulator.get("/web/regulator/approvals?lang=en").text
    assert "Report 2 Oct 1, 2026 – Dec 31, 2026 53.234 t verified Issue PCER" in main_text(page)
    fields = {**form_fields(page, "/web/regulator/approvals/sink-reports"), "report": "2"}
    forged = regulator.post(
        "/web/regulator/approvals/sink-reports", data={**fields, "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403 and "csrf_invalid" in forged.text
    missing = regulator.post(
        "/web/regulator/approvals/sink-reports", data={**fields, "report": "999"}
    )
    assert missing.status_code == 404 and '<code class="error-code">unknown_report</code>' in (
        missing.text
    )
    done = regulator.post("/web/regulator/approvals/sink-reports?lang=en", data=fields)
    assert done.status_code == 200 and "PCER issued: PCER-GD-AFF0007-2026Q4" in main_text(done.text)
    again = regulator.post("/web/regulator/approvals/sink-reports?lang=en", data=fields)
    assert "already done" in again.text
    reports = {
        r["report_id"]: r for p in projects_for_review(console_app.registry) for r in p["reports"]
    }
    assert reports[2]["issued_g"] == reports[2]["removals_g"]


def test_a_finding_is_told_in_the_pages_language(regulator: TestClient) -> None:
    """The finding's measure is labelled and formatted per locale; its English detail
    text (from the market context) is left off the Chinese page."""
    english = main_text(regulator.get("/web/regulator/surveillance?lang=en").text)
    chinese = main_text(regulator.get("/web/regulator/surveillance?lang=zh").text)
    assert "share of the day's volume:" in english
    assert "g of the day" in english  # the detail, in English
    assert "占当日成交量比例" in chinese
    assert "阈值" in chinese
    assert "g of the day" not in chinese
    assert "share_bps" not in english + chinese
