"""In headless Chromium: signing in and out, and the public page (zh) at both widths."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pctrade import demo


def test_a_platform_signs_in_and_out_in_english(page_as: Callable[..., Any]) -> None:
    page = page_as("platform", "en")
    # The platform's home is its console; whatever is there, the header says who is in.
    assert page.locator(".who").inner_text() != ""
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/web/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/web/")
    assert page.get_by_role("link", name="Sign in").is_visible()


def test_a_wrong_password_is_said_in_chinese(
    page_as: Callable[..., Any],
    shoot: Callable[[Any, str], list[Path]],
    axe_serious: Callable[[Any], list[dict[str, Any]]],
) -> None:
    page = page_as(None, "zh")
    page.get_by_role("link", name="登录").click()
    page.fill("#username", "regulator")
    page.fill("#password", demo.DEMO_PASSWORD + "?")
    page.get_by_role("main").get_by_role("button", name="登录").click()
    assert "用户名或密码错误" in page.get_by_role("alert").inner_text()
    assert page.locator("#username").input_value() == "regulator"  # kept, not the password
    assert page.locator("#password").input_value() == ""
    shoot(page, "login")
    assert axe_serious(page) == []


def test_the_public_page_in_chinese_draws_its_chart_and_passes_axe(
    page_as: Callable[..., Any],
    shoot: Callable[[Any, str], list[Path]],
    axe_serious: Callable[[Any], list[dict[str, Any]]],
    fits: Callable[[Any, int], None],
) -> None:
    page = page_as(None, "zh")
    errors: list[str] = []  # script errors and refused loads (the CSP's) alike
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.reload()
    assert page.get_by_role("heading", level=1).inner_text() == "信息公开"
    page.wait_for_selector("html[data-charts-drawn='1']")
    assert errors == []
    assert page.locator("#price-chart svg").count() == 1  # ECharts drew it
    supply = page.get_by_role("table").first
    assert "个人核证减排量 (PCER)" in supply.inner_text() and "吨" in supply.inner_text()
    for path in shoot(page, "public"):
        assert path.stat().st_size > 0
    assert axe_serious(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    # Mobile first: on a phone only the wide tables scroll, never the page itself.
    # The chart redraws on the resize event, after the viewport changed: wait for it.
    fits(page, 390)
    assert axe_serious(page) == []
