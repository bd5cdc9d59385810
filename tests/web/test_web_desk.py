"""The emitter desk: the obligation, what is short and the offset cap left; buying on
the book; surrendering; each form's CSRF check, replay and refusals (TestClient)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_world import (
    ASK_FEN_PER_T,
    CCER_CONTRACT,
    CEMENT,
    CEMENT_LOGIN,
    account_of,
    form_fields,
    main_text,
    sign_in,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pctrade.bootstrap import App
from pctrade.demo_seeder import CEA
from pctrade.kernel.units import G_PER_T
from pctrade.market import queries as market


@pytest.fixture
def cement(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web) as client:
        sign_in(client, CEMENT_LOGIN)
        yield client


def test_the_desk_shows_the_obligation_what_is_short_and_the_offset_cap_left(
    cement: TestClient,
) -> None:
    page = cement.get("/web/desk?lang=en")
    assert page.status_code == 200
    text = main_text(page.text)
    assert "GD 2026" in text and "Verified emissions 1,000 t" in text
    assert "Still short 1,000 t" in text
    # Guangdong: 10 % of the verified emissions, 30 % of that from outside the province.
    assert "Offsets that may still count 100 t" in text and "outside the jurisdiction 30 t" in text
    assert CEA in text  # a holding


def test_a_desk_page_needs_an_emitter(web: FastAPI) -> None:
    with TestClient(web) as client:
        answer = client.get("/web/desk", follow_redirects=False)
        assert answer.status_code == 303 and "/web/login?next=" in answer.headers["location"]
        sign_in(client, "regulator")
        assert client.get("/web/desk").status_code == 403


def test_a_buy_order_fills_against_the_book_and_a_second_post_replays_it(
    cement: TestClient, console_app: App
) -> None:
    page = cement.get("/web/desk?lang=en").text
    fields = form_fields(page, "/web/desk/orders")
    account = account_of(console_app, CEMENT)
    order = {
        **fields,
        "account": str(account),
        "contract": CCER_CONTRACT,
        "price": f"{ASK_FEN_PER_T / 100:.2f}",
        "quantity": "20",
    }
    first = cement.post("/web/desk/orders", data=order)
    assert first.status_code == 200 and "Order placed" in first.text
    mine = market.my_orders(console_app.store, CEMENT, CCER_CONTRACT)
    assert [(o["side"], o["filled_g"], o["state"]) for o in mine] == [
        ("buy", 20 * G_PER_T, "filled")
    ]
    again = cement.post("/web/desk/orders", data=order)
    assert "already done" in again.text
    assert len(market.my_orders(console_app.store, CEMENT, CCER_CONTRACT)) == 1


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(
    cement: TestClient, console_app: App
) -> None:
    fields = form_fields(cement.get("/web/desk").text, "/web/desk/orders")
    before = market.my_orders(console_app.store, CEMENT)
    order = {
        "idempotency_key": fields["idempotency_key"],
        "account": str(account_of(console_app, CEMENT)),
        "contract": CCER_CONTRACT,
        "price": "72",
        "quantity": "1",
    }
    answer = cement.post("/web/desk/orders", data=order)
    assert answer.status_code == 403 and "csrf_invalid" in answer.text
    assert market.my_orders(console_app.store, CEMENT) == before


@pytest.mark.parametrize(
    ("price", "quantity", "status", "code"),
    [
        ("72.001", "1", 422, "not_integer"),  # finer than a fen
        ("72", "0.0000001", 422, "bad_quantity"),  # finer than a gram
        ("72", "-3", 422, "non_positive"),
        ("72", "lots", 422, "bad_quantity"),
    ],
)
def test_a_refused_order_shows_its_code_and_writes_nothing(
    cement: TestClient, console_app: App, price: str, quantity: str, status: int, code: str
) -> None:
    fields = form_fields(cement.get("/web/desk").text, "/web/desk/orders")
    before = market.my_orders(console_app.store, CEMENT)
    order = {
        **fields,
        "account": str(account_of(console_app, CEMENT)),
        "contract": CCER_CONTRACT,
        "price": price,
        "quantity": quantity,
    }
    answer = cement.post("/web/desk/orders?lang=en", data=order)
    assert answer.status_code == status
    assert f'<code class="error-code">{code}</code>' in answer.text
    assert "Emitter desk" in answer.text  # the desk again, not an error page
    assert market.my_orders(console_app.store, CEMENT) == before


def test_surrendering_beyond_the_offset_cap_is_refused_then_within_it_counts(
    cement: TestClient, console_app: App
) -> None:
    account = account_of(console_app, CEMENT)
    reports = console_app.compliance_reports
    page = cement.get("/web/desk?lang=en").text
    too_much = {
        **form_fields(page, "/web/desk/surrender"),
        "account": str(account),
        "jurisdiction": "GD",
        "period": "2026",
        "batch_1": "CEA-GD-ALLOC-2026-001",
        "quantity_1": "7000",
        "batch_2": "CEA-GD-ALLOC-2025-001",
        "quantity_2": "3000",
    }
    refused = cement.post("/web/desk/surrender", data=too_much)
    assert refused.status_code == 409
    assert '<code class="error-code">surrender_exceeds_obligation</code>' in refused.text
    assert reports.status(account, "GD", "2026").report.surrendered_g == 0
    page = cement.get("/web/desk?lang=en").text
    fitting = {**too_much, **form_fields(page, "/web/desk/surrender"), "quantity_1": "1000"}
    del fitting["batch_2"], fitting["quantity_2"]
    done = cement.post("/web/desk/surrender?lang=en", data=fitting)
    assert done.status_code == 200 and "Units surrendered" in done.text
    status = reports.status(account, "GD", "2026")
    assert (str(status.report.status), status.report.shortfall_g) == ("A", 0)
    assert "Still short 0 g" in main_text(done.text)
