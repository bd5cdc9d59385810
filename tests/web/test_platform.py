"""The platform console (``/web/platform``): pools, terms, contributor counts, sales,
payouts and fees — read through the pools context, naming no contributor."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from pctrade import demo


def _sign_in(client: TestClient, username: str, lang: str = "en") -> None:
    page = client.get(f"/web/login?lang={lang}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert token is not None and key is not None
    form = {
        "csrf_token": token.group(1),
        "idempotency_key": key.group(1),
        "username": username,
        "password": demo.DEMO_PASSWORD,
    }
    assert client.post("/web/login", data=form, follow_redirects=False).status_code == 303


def test_the_console_shows_the_pool_its_terms_sales_payouts_and_fee(client: TestClient) -> None:
    _sign_in(client, "platform")
    html = client.get("/web/platform").text
    pool = html[html.index('id="pool-POOL-GD-0001"') :]
    assert 'class="contributors">18<' in pool  # a count: the October and November depositors
    assert 'class="fee">5%<' in pool and "the rules allow at most" in pool
    terms = pool[pool.index('class="terms') : pool.index('class="sales')]
    assert "GD/2022-05-06" in terms and "30 days" in terms  # version 1, its lock-in
    sales = pool[pool.index('class="sales') :]
    assert "PCER-GD-2026Q3-7-1" in sales and "¥82.00/t" in sales and "¥7.02" in sales
    assert 'id="sales-POOL-GD-0001" role="img"' in pool
    # No contributor is named: not the first depositor's name, nor an account number.
    assert "王伟" not in html and "IND-" not in html


def test_the_console_is_the_platforms_only(client: TestClient) -> None:
    _sign_in(client, "wangwei")
    assert client.get("/web/platform").status_code == 403


def test_journey_the_platform_console(
    page_as: Callable[..., Any],
    shoot: Callable[[Any, str], list[Path]],
    axe_serious: Callable[[Any], list[dict[str, Any]]],
    fits: Callable[[Any, int], None],
) -> None:
    page = page_as("platform", "en")
    page.goto("/web/platform")
    assert page.locator("h1").inner_text() == "Platform console"
    assert page.locator("#contributors").inner_text() == "18"
    assert page.locator("#paid").inner_text() == "¥7.02"
    page.wait_for_selector("html[data-charts-drawn='1']", state="attached")
    shoot(page, "platform")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing scrolls sideways
    # (the charts redraw at the new width on the resize event, a moment later)
    fits(page, 390)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert axe_serious(page) == []
