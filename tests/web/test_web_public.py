"""The public transparency page: the registry's aggregates, for anyone, no person named."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from pctrade import demo
from pctrade.bootstrap import App
from pctrade.ledger import queries as ledger_queries
from pctrade.ledger.model import State
from pctrade.sinks import queries as sink_queries
from pctrade.web import formatting
from pctrade.web.i18n import load_languages

EN = load_languages()["en"]


def cells_of_row(html: str, heading: str) -> list[str]:
    """The cells of the table row whose row heading starts with ``heading``."""
    row = re.search(rf'<th scope="row">{re.escape(heading)}.*?</tr>', html, re.S)
    assert row is not None, f"no row {heading}"
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[0])]


def test_the_supply_totals_add_up_to_what_each_instrument_issued(demo_app: App) -> None:
    totals = ledger_queries.supply_totals(demo_app.store)
    with demo_app.store.reader() as uow:
        batches = uow.batches()
    assert sum(t.batches for t in totals.totals) == len(batches)
    for total in totals.totals:
        assert sum(total.by_state.values()) == total.issued_g
    allowances = next(t for t in totals.totals if t.instrument == "CEA")
    assert allowances.amount(State.SURRENDERED) > 0  # the power company surrendered


def test_the_page_shows_totals_prices_pools_and_projects_in_english(
    client: TestClient, demo_app: App
) -> None:
    page = client.get("/web/?lang=en")
    assert page.status_code == 200
    totals = ledger_queries.supply_totals(demo_app.store)
    pcer = next(t for t in totals.totals if t.instrument == "PCER")
    cells = cells_of_row(page.text, "Personal credits (PCER)")
    assert cells[0] == pcer.jurisdiction
    assert cells[2] == formatting.grams(pcer.issued_g, EN)
    assert cells[6] == formatting.grams(pcer.amount(State.RETIRED), EN)
    assert cells[7] == formatting.grams(pcer.amount(State.CANCELLED), EN)
    # Prices: every listed contract with its last close, and the chart with its table.
    assert 'id="price-chart" role="img" aria-label="Closing prices' in page.text
    assert "¥82.00/t" in page.text
    # The pool's aggregates and the sink project's verified removals.
    assert "POOL-GD-0001" in page.text
    project = next(p for p in sink_queries.public_projects(demo_app.store))
    # The summer quarter, issued, and the winter one, verified and awaiting issuance.
    assert project.code == demo.PROJECT and project.reports_verified == 2
    project_cells = cells_of_row(page.text, project.name)
    assert formatting.grams(project.verified_removals_g, EN) in project_cells
    assert formatting.grams(project.issued_g, EN) in project_cells


def test_the_page_names_no_person_and_no_account(client: TestClient, demo_app: App) -> None:
    page = client.get("/web/").text
    assert "信息公开" in page
    names = {name for name in (demo.person_name(i) for i in range(demo.PEOPLE_MIN))}
    assert not [name for name in names if name in page]
    assert not re.search(r"u0000\d\d", page)  # no individual's party id
