"""The market pages: contracts, depth, trades, the price and volume chart with its
table, auctions with their results; orders for the signed-in; the live stream."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from console_world import (
    CCER_CONTRACT,
    EMITTER,
    form_fields,
    main_text,
    sign_in,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pctrade.bootstrap import App
from pctrade.market import queries as market

AUCTIONED = "CEA-GD-2026"  # the demo's allowance auction, cleared at ¥47/t


@pytest.fixture
def visitor(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web) as client:
        yield client


def test_the_overview_lists_every_contract_with_its_last_close(visitor: TestClient) -> None:
    text = main_text(visitor.get("/web/market?lang=en").text)
    for code in ("PCER-GD-2026Q3", CCER_CONTRACT, "CEA-GD-2025", AUCTIONED):
        assert code in text
    assert "¥72.00/t" in text  # CCER's close on 24 November


def test_a_contract_shows_depth_trades_and_a_chart_with_its_table(visitor: TestClient) -> None:
    page = visitor.get(f"/web/market/{CCER_CONTRACT}?lang=en").text
    text = main_text(page)
    assert "Asks Price Quantity Orders ¥72.00/t 200 t 1" in text  # Nanyue Power's ask
    assert 'role="img"' in page and "Daily price and volume of CCER-CN-2024" in page
    assert "Sign in to place orders." in text
    assert 'data-stream="/web/market/CCER-CN-2024/stream"' in page


def test_an_auction_shows_its_terms_and_result_naming_no_bidder(visitor: TestClient) -> None:
    text = main_text(visitor.get(f"/web/market/{AUCTIONED}?lang=en").text)
    assert "Auction #1 · cleared" in text
    assert "Clearing price ¥47.00/t" in text and "Sold 20,000 t" in text
    assert "nanyue" not in text and "yuebei" not in text


def test_zh_formats_units_and_prices_in_chinese(visitor: TestClient) -> None:
    text = main_text(visitor.get(f"/web/market/{CCER_CONTRACT}?lang=zh").text)
    assert "¥72.00/吨" in text and "200 吨" in text


def test_an_unknown_contract_is_not_found(visitor: TestClient) -> None:
    answer = visitor.get("/web/market/NOPE-1")
    assert answer.status_code == 404 and "unknown_contract" in answer.text


def test_a_signed_in_order_rests_on_the_book_and_replays(
    visitor: TestClient, console_app: App
) -> None:
    sign_in(visitor, "emitter")
    page = visitor.get(f"/web/market/{CCER_CONTRACT}?lang=en").text
    account = market.my_orders(console_app.store, EMITTER, CCER_CONTRACT)[0]["account_id"]
    order = {
        **form_fields(page, f"/web/market/{CCER_CONTRACT}/orders"),
        "account": str(account),
        "side": "sell",
        "price": "75",
        "quantity": "5",
    }
    first = visitor.post(f"/web/market/{CCER_CONTRACT}/orders?lang=en", data=order)
    assert first.status_code == 200 and "Order placed" in first.text
    assert "¥72.00/t 200 t 1 ¥75.00/t 5 t 1" in main_text(first.text)
    again = visitor.post(f"/web/market/{CCER_CONTRACT}/orders?lang=en", data=order)
    assert "already done" in again.text
    depth = market.depth(console_app.store, CCER_CONTRACT)
    assert [a["quantity_g"] for a in depth["asks"]] == [200_000_000, 5_000_000]
    bad = {**order, **form_fields(again.text, f"/web/market/{CCER_CONTRACT}/orders")}
    refused = visitor.post(f"/web/market/{CCER_CONTRACT}/orders", data={**bad, "side": "hold"})
    assert refused.status_code == 422 and "error-code" in refused.text
    assert len(market.depth(console_app.store, CCER_CONTRACT)["asks"]) == 2


def test_the_stream_starts_with_the_book_as_it_is(visitor: TestClient) -> None:
    with visitor.stream("GET", f"/web/market/{CCER_CONTRACT}/stream") as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = answer.iter_lines()
        event = data = ""
        for line in lines:
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            if line.startswith("data: "):
                data = line.removeprefix("data: ")
                break
    book = json.loads(data)
    assert event == "book" and book["kind"] == "snapshot"
    assert book["depth"]["asks"][0]["price_fen_per_t"] == 7_200
