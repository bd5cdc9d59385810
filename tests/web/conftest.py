"""The web pages' fixtures: one demo registry and one server for the whole session.

``demo_url`` seeds the demo once into a temporary SQLite database (argon2 at its
cheapest, tests/conftest.py); ``demo_app`` is an app over it and ``demo_api`` the API
and pages over that, built once, for TestClient tests (``client``: fresh cookies each
test); ``demo_site`` serves the API and the pages with uvicorn in a thread on a free
loopback port and yields its base URL, for the browser.

Browser tests use Playwright's sync API driving Debian's chromium (``/usr/bin/chromium``).
Without Playwright, chromium or the npm packages (axe-core) they are skipped, unless
``PCTRADE_REQUIRE_BROWSER=1`` (``.ci/run`` sets it), when they fail instead.
``page_as(role, lang, width)`` opens a page signed in as the role's demo login;
the fixture ``shoot(page, name)`` saves ``artifacts/screenshots/NAME-desktop.png`` and
``NAME-phone.png``; the fixture ``axe_serious(page)`` runs axe-core in the page and returns its
serious and critical violations.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from console_world import build, copy_demo, prepare
from fastapi import FastAPI
from fastapi.testclient import TestClient
from serving import served

from pctrade import bootstrap, demo
from pctrade.api.app import create_app
from pctrade.bootstrap import App
from pctrade.web.vendor import NODE_MODULES, VENDOR_FILES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# The demo login of each role the pages are for (demo.DEMO_USERS).
ROLE_LOGINS = {
    "individual": "wangwei",  # 王伟, a traveller who sponsored trees
    "saver": "liuguiying",  # 刘桂英, the saver: eligible, sells her PCER directly
    "platform": "platform",
    "emitter": "emitter",
    "regulator": "regulator",
}
PASSWORD = demo.DEMO_PASSWORD


# ---- the demo registry and its server --------------------------------------------------
@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'demo.db'}"
    with demo.build_app(url) as seeding:
        demo.seed(seeding)
    return url


@pytest.fixture(scope="session")
def demo_app(demo_url: str) -> Iterator[App]:
    with bootstrap.build(demo_url) as app:
        yield app


@pytest.fixture(scope="session")
def demo_api(demo_app: App) -> FastAPI:
    """The API and the pages over the demo, built once (its first request is the slow one)."""
    return create_app(demo_app)


@pytest.fixture
def client(demo_api: FastAPI) -> Iterator[TestClient]:
    """A browser of its own: no cookies from another test."""
    with TestClient(demo_api) as test_client:
        yield test_client


# Module-scoped apps that the module's tests write to (sell, withdraw, decide): a test
# may read what an earlier one in the module left, so a module using one runs on one
# worker, in file order (`make test` runs `--dist loadgroup`). Split across workers, each
# worker builds its own copy and a later test can miss an earlier one's effect (a
# wallet test failed so in CI, 1 run in 4).
_WRITTEN_MODULE_APPS = frozenset({"wallet_app", "console_app"})


@pytest.hookimpl(tryfirst=True)  # before xdist's hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _WRITTEN_MODULE_APPS & set(getattr(item, "fixturenames", ())):
            module = item.module.__name__ if isinstance(item, pytest.Function) else item.nodeid
            item.add_marker(pytest.mark.xdist_group(f"web:{module}"))


@pytest.fixture(scope="module")
def console_app(
    request: pytest.FixtureRequest, demo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """The console tests' own copy of the demo, one per module (they write), with the
    pending work ``console_world.prepare`` adds."""
    folder = tmp_path_factory.mktemp(request.module.__name__.removeprefix("test_"))
    with build(copy_demo(demo_url, folder)) as app:
        prepare(app)
        yield app


@pytest.fixture(scope="module")
def web(console_app: App) -> FastAPI:
    """The API and pages over the module's copy, built once: its first request compiles
    the templates, and each test's client starts with its own cookies."""
    return create_app(console_app)


@pytest.fixture(scope="session")
def demo_site(demo_url: str) -> Iterator[str]:
    """The base URL of the API and pages over the demo (``…/web/`` for the pages)."""
    app = bootstrap.build(demo_url, group_commit=True)
    with served(create_app(app, owns_app=True)) as url:
        yield url


# ---- the browser -----------------------------------------------------------------------
def _unavailable(reason: str) -> None:
    if os.environ.get("PCTRADE_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed: {exc}")
    if not CHROMIUM.exists():
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    if not all((NODE_MODULES / f).is_file() for f in VENDOR_FILES.values()):
        _unavailable("the npm packages are not installed (npm ci --prefix src/pctrade/web)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


PageAs = Callable[..., Any]


@pytest.fixture
def page_as(browser: Any, demo_site: str) -> Iterator[PageAs]:
    """``page_as(role, lang="zh", width=1280)``: a page signed in as ``role``'s demo
    login (``None``: a visitor), in ``lang``, on the public page."""
    contexts: list[Any] = []

    def open_page(role: str | None, lang: str = "zh", width: int = DESKTOP["width"]) -> Any:
        viewport = DESKTOP if width >= DESKTOP["width"] else {**PHONE, "width": width}
        context = browser.new_context(
            viewport=viewport, locale="zh-CN" if lang == "zh" else "en-US", base_url=demo_site
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if role is None:
            page.goto(f"/web/?lang={lang}")
            return page
        page.goto(f"/web/login?lang={lang}")
        page.fill("#username", ROLE_LOGINS[role])
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_load_state()
        return page

    yield open_page
    for context in contexts:
        context.close()


def take_screenshots(page: Any, name: str) -> list[Path]:
    """Screenshots of the page at desktop and phone widths (the viewport is restored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    saved = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    page.set_viewport_size(before)
    return saved


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it is."""
    page.add_script_tag(url="/web/vendor/axe.min.js")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


# The helpers as fixtures: test modules take them by name (no import of a conftest).
@pytest.fixture
def shoot() -> Callable[[Any, str], list[Path]]:
    return take_screenshots


@pytest.fixture
def axe_serious() -> Callable[[Any], list[dict[str, Any]]]:
    return serious_violations


def wait_until_fits(page: Any, width: int, timeout_s: float = 10.0) -> None:
    """Wait until the page is no wider than ``width``: a chart redraws on the resize event,
    a moment after the viewport changed. Polled from here with ``page.evaluate`` (the
    protocol's call, which the pages' CSP allows), not ``wait_for_function``, whose
    polling evaluates a string in the page and is refused by ``script-src 'self'``."""
    deadline = time.monotonic() + timeout_s
    while True:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width <= width:
            return
        assert time.monotonic() < deadline, f"the page is {scroll_width} px wide at {width}"
        page.wait_for_timeout(50)


@pytest.fixture
def fits() -> Callable[[Any, int], None]:
    return wait_until_fits
