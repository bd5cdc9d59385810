"""In headless Chromium, on a copy of the demo at a trading hour (``console_world``):
an emitter buys and surrenders (en), a regulator approves and reviews (zh), the market
page updates live from the contract's stream; screenshots of the desk, the market and
the regulator console at both widths, and axe finds no serious violation on them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from console_world import (
    CCER_CONTRACT,
    CEMENT,
    CEMENT_LOGIN,
    EMITTER,
    NEW_PROJECT,
    PASSWORD,
    account_of,
)
from serving import served

from pctrade.api.app import create_app
from pctrade.bootstrap import App
from pctrade.market import commands as mc

SERVER_START_S_MAX = 20.0
LIVE_WAIT_MS = 10_000


@pytest.fixture(scope="module")
def console_site(console_app: App) -> Iterator[tuple[str, App]]:
    with served(create_app(console_app)) as url:
        yield url, console_app


@pytest.fixture
def open_as(browser: Any, console_site: tuple[str, App]) -> Iterator[Callable[..., Any]]:
    """``open_as(username, lang)``: a page signed in (``None``: a visitor)."""
    contexts: list[Any] = []

    def opened(username: str | None, lang: str) -> Any:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            locale="zh-CN" if lang == "zh" else "en-US",
            base_url=console_site[0],
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"/web/login?lang={lang}")
        if username is not None:
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.click("form.stack button[type=submit]")
            page.wait_for_load_state()
        return page

    yield opened
    for context in contexts:
        context.close()


PHONE = {"width": 390, "height": 844}


def _clean(
    page: Any,
    axe_serious: Callable[[Any], list[dict[str, Any]]],
    fits: Callable[[Any, int], None],
) -> None:
    """No serious or critical axe violation, at the desktop width and on a phone; on a
    phone only the wide tables scroll sideways, never the page."""
    desktop = page.viewport_size
    for size in (desktop, PHONE):
        page.set_viewport_size(size)
        # A chart redraws on the resize event, after the viewport changed: wait for the
        # layout to follow before judging it.
        fits(page, size["width"])
        found = axe_serious(page)
        assert found == [], (size, [(v["id"], v["help"]) for v in found])
    page.set_viewport_size(desktop)


def test_an_emitter_buys_on_the_book_and_surrenders_in_english(
    open_as: Callable[..., Any],
    console_site: tuple[str, App],
    shoot: Callable[[Any, str], list[Path]],
    axe_serious: Callable[[Any], list[dict[str, Any]]],
    fits: Callable[[Any, int], None],
) -> None:
    app = console_site[1]
    page = open_as(CEMENT_LOGIN, "en")
    page.goto("/web/desk")
    obligation = page.get_by_test_id("obligation-GD-2026")
    assert "1,000 t" in obligation.get_by_test_id("still-short").inner_text()
    assert obligation.get_by_test_id("offsets-left").inner_text().startswith("100 t")
    shoot(page, "desk")
    _clean(page, axe_serious, fits)

    page.select_option("#order-contract", CCER_CONTRACT)
    page.fill("#order-price", "72")
    page.fill("#order-quantity", "20")
    page.get_by_role("button", name="Place buy order").click()
    assert "Order placed" in page.get_by_test_id("done").inner_text()
    assert "CCER-CN-AFF0012-2024-001" in page.get_by_test_id("holdings").inner_text()

    obligation = page.get_by_test_id("obligation-GD-2026")
    account = account_of(app, CEMENT)
    obligation.locator(f"#sb-{account}-2026-1").select_option("CEA-GD-ALLOC-2026-001")
    obligation.locator(f"#sq-{account}-2026-1").fill("980")
    obligation.locator(f"#sb-{account}-2026-2").select_option("CCER-CN-AFF0012-2024-001")
    obligation.locator(f"#sq-{account}-2026-2").fill("40")
    live = obligation.get_by_test_id("offset-live")  # CCER is from outside Guangdong
    assert "counts 40 t of offsets: 60 t may still count" in live.inner_text()
    assert "would be refused" in live.inner_text()
    obligation.locator(f"#sq-{account}-2026-2").fill("20")
    assert "60 t" not in live.inner_text()
    assert "80 t may still count after it, 10 t of them" in live.inner_text()
    obligation.get_by_role("button", name="Surrender").click()
    assert "Units surrendered" in page.get_by_test_id("done").inner_text()
    obligation = page.get_by_test_id("obligation-GD-2026")
    assert "A: compliant" in obligation.inner_text()
    assert obligation.get_by_test_id("still-short").inner_text() == "0 g"
    assert obligation.get_by_test_id("offsets-left").inner_text().startswith("80 t")


def test_a_regulator_approves_a_project_and_reviews_a_held_event_in_chinese(
    open_as: Callable[..., Any],
    shoot: Callable[[Any, str], list[Path]],
    axe_serious: Callable[[Any], list[dict[str, Any]]],
    fits: Callable[[Any, int], None],
) -> None:
    page = open_as("regulator", "zh")
    page.goto("/web/regulator")
    assert page.get_by_role("heading", level=1).inner_text() == "监管控制台"
    shoot(page, "regulator")
    _clean(page, axe_serious, fits)

    page.get_by_role("link", name="签发审批").click()
    page.get_by_role("button", name=f"批准 {NEW_PROJECT}").click()
    assert NEW_PROJECT in page.get_by_test_id("done").inner_text()
    assert "项目已批准" in page.get_by_test_id("done").inner_text()
    # The forest's winter quarter, verified, waits for its PCER: issue it.
    page.get_by_role("button", name="签发 PCER").click()
    assert "PCER-GD-AFF0007-2026Q4" in page.get_by_test_id("done").inner_text()
    shoot(page, "regulator-approvals")
    _clean(page, axe_serious, fits)

    page.get_by_role("link", name="待审行为").click()
    first = page.locator("article.held").first
    event_id = first.locator("h3").inner_text().split("·")[1].strip()
    first.get_by_label("理由").fill("核对了GPS轨迹：乘坐公交")
    first.get_by_role("button", name="放行").click()
    assert re.search(rf"已放行.*{event_id}", page.get_by_test_id("done").inner_text())
    assert page.get_by_test_id(f"held-{event_id}").count() == 0

    # Surveillance: the large holders where a rule set limits positions (Beijing's).
    page.get_by_role("link", name="交易监察").click()
    assert "BJ/2014-01-01" in page.get_by_test_id("positions-BJ").inner_text()
    assert "GD/2022-05-06" in page.get_by_test_id("no-position-limit").inner_text()
    shoot(page, "regulator-surveillance")
    _clean(page, axe_serious, fits)


def test_the_market_page_updates_live_from_the_stream(
    open_as: Callable[..., Any],
    console_site: tuple[str, App],
    shoot: Callable[[Any, str], list[Path]],
    axe_serious: Callable[[Any], list[dict[str, Any]]],
    fits: Callable[[Any, int], None],
) -> None:
    app = console_site[1]
    page = open_as(None, "en")
    page.goto(f"/web/market/{CCER_CONTRACT}")
    page.wait_for_selector("#market-live[data-live='open']", timeout=LIVE_WAIT_MS)
    page.wait_for_selector("html[data-charts-drawn='1']")
    assert page.locator(".chart-canvas svg").count() == 1  # ECharts drew it
    order = mc.PlaceOrder(
        CCER_CONTRACT, account_of(app, EMITTER), "w3-live", "sell", 7_900, 3_000_000
    )
    app.market.place(EMITTER, "w3:live", order)
    asks = page.locator("#depth-asks")
    asks.get_by_text("¥79.00/t").wait_for(timeout=LIVE_WAIT_MS)
    assert "3 t" in asks.inner_text()
    shoot(page, "market")
    _clean(page, axe_serious, fits)
