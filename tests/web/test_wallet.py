"""The personal wallet (``/web/wallet``): what it shows, its forms, and two journeys.

The wallet writes (a sell order, a deposit, a retirement), so this module works on a
copy of the session's demo registry, never on the one the other pages' tests read:
``wallet_app`` copies it and puts the clock on Monday 2026-11-30, 10:00 China Standard
Time — a trading session, the week after the demo's two trading days were closed. The
saver (刘桂英, ``liuguiying``) sold one of her two lots in the demo and may sell the
other directly; the key emitter hands her 10 kg more, so she sells twice here. 王伟
(``wangwei``) has no real-name facts recorded: the market refuses him, and the wallet
says why and points to the pool.

TestClient tests check each part of the page and each form (CSRF, the idempotent
replay, a refusal shown with its code); the browser journeys walk the wallet in zh
(behaviour → energy → sponsor → credits → pool → payout) and the saver's direct sell in
en, with screenshots at both widths and axe.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from serving import served

from pctrade import bootstrap, demo
from pctrade.api.app import create_app
from pctrade.bootstrap import App
from pctrade.energy.commands import CreditEnergy
from pctrade.energy.entries import credit_energy
from pctrade.energy.model import EnergyCredit, EnergyLine
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger import queries, reads
from pctrade.pools import commands as pc
from pctrade.pools import queries as pool_queries
from pctrade.pools.model import Terms
from pctrade.web.pages import wallet_data

MONDAY_10_CST = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
SAVER, TRAVELLER = "liuguiying", "wangwei"
SAVER_PARTY, TRAVELLER_PARTY = "u000004", "u000001"
PCER_Q3 = "PCER-GD-CI-2026Q3-001"
SERVER_START_S_MAX = 20.0


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture(scope="module")
def wallet_app(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """An app over a copy of the demo registry, its clock in Monday's session, the
    saver given a second lot of PCER by the key emitter."""
    copy = tmp_path_factory.mktemp("wallet") / "wallet.db"
    with sqlite3.connect(_sqlite_path(demo_url)) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with bootstrap.build(f"sqlite:///{copy}", clock=SetClock(MONDAY_10_CST)) as app:
        # She holds one lot; the key emitter sells her a second over the counter, so she
        # can sell a lot twice here: by a form's post and in the browser's journey.
        emitter = queries.accounts_of(app.store, "nanyue-power")[0].account_id
        saver = reads.own_individual_account(app.store, SAVER_PARTY)
        cmd = c.Transfer(emitter, saver, PCER_Q3, 10_000)
        app.registry.transfer("nanyue-power", "test:otc-to-saver", cmd)
        yield app


@pytest.fixture(scope="module")
def wallet_api(wallet_app: App) -> FastAPI:
    """The API and the pages over the copy, built once for the client and the server
    (an app's first request, which builds its OpenAPI document, is the slow one)."""
    return create_app(wallet_app)


@pytest.fixture(scope="module")
def wallet_http(wallet_api: FastAPI) -> Iterator[TestClient]:
    with TestClient(wallet_api) as client:
        yield client


def _fields(html: str, form_id: str | None = None) -> dict[str, str]:
    """The hidden CSRF token and idempotency key of a form on the page (the first, or
    the one whose ``action`` ends with ``form_id``)."""
    start = 0 if form_id is None else html.index(f'action="/web/{form_id}"')
    token = re.search(r'name="csrf_token" value="([^"]+)"', html[start:])
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html[start:])
    assert token is not None and key is not None
    return {"csrf_token": token.group(1), "idempotency_key": key.group(1)}


def _sign_in(client: TestClient, username: str, lang: str = "en") -> None:
    client.cookies.clear()
    page = client.get(f"/web/login?lang={lang}")
    form = {**_fields(page.text), "username": username, "password": demo.DEMO_PASSWORD}
    signed = client.post("/web/login", data=form, follow_redirects=False)
    assert signed.status_code == 303, signed.text


def _wallet(client: TestClient, username: str, lang: str = "en") -> str:
    _sign_in(client, username, lang)
    page = client.get("/web/wallet")
    assert page.status_code == 200, page.text
    return page.text


# ---- what the page shows --------------------------------------------------------------
def test_the_wallet_traces_energy_to_its_methodology_factor_and_expiry(
    wallet_http: TestClient,
) -> None:
    html = _wallet(wallet_http, TRAVELLER)
    # 19 and 20 November's trips, by behaviour, each with its methodology version.
    assert 'id="energy-month">2.102 kg<' in html
    for methodology in ("metro/v1", "walking/v1", "cycling/v1", "bus/v1"):
        assert f"<code>{methodology}</code>" in html
    assert "0.0468 g/m" in html  # the metro's factor, exactly
    assert "within 72 hours lapses (rule set CN/2024-05-01)" in html
    assert 'id="energy-by-behaviour" role="img"' in html  # the chart, and its table


def test_the_wallet_shows_trees_batches_innate_beside_acquired_and_payouts(
    wallet_http: TestClient,
) -> None:
    html = _wallet(wallet_http, TRAVELLER)
    trees = html[html.index('id="trees"') : html.index('id="credits"')]
    # Verified so far: the summer quarter (issued) and the winter one (awaiting issuance).
    assert "AFF0007" in trees and "123.827 t" in trees and "283 g" in trees
    credits = html[html.index('id="credits"') : html.index('id="innate-acquired"')]
    assert "PCER-GD-AFF0007-2026Q3-001" in credits and "Forest sink issuance" in credits
    assert "Carbon-inclusive issuance" in credits and "GD/2022-05-06" in credits
    assert "/sinks/issuances/625/certificate.html" in credits
    assert 'id="innate">64.145 t<' in html
    assert "never tradable" in html
    payouts = html[html.index('id="payouts"') :]
    assert "PCER-GD-2026Q3-7-1" in payouts and 'id="payout-total">¥0.60<' in payouts


def test_the_wallet_reads_what_the_api_answers(wallet_http: TestClient, wallet_app: App) -> None:
    """No second logic: the wallet's figures are the API's, read the same way."""
    token = wallet_http.post(
        "/auth/token", json={"username": TRAVELLER, "password": demo.DEMO_PASSWORD}
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    with wallet_app.store.reader() as uow:
        party = uow.party(TRAVELLER_PARTY)
    assert party is not None
    view = wallet_data.gather(wallet_app, party)
    day = view.today.isoformat()
    energy = wallet_http.get(f"/me/energy?day_to={day}", headers=bearer).json()
    assert view.energy.window_g == energy["credited_g"]
    assert view.energy.available_g == energy["available_g"]
    sinks = wallet_http.get("/me/sinks", headers=bearer).json()["items"]
    assert [(t.code, t.units, t.credited_g) for t in view.trees] == [
        (p["code"], p["units"], p["credited_g"]) for p in sinks
    ]
    account = view.account_id
    statement = wallet_http.get(f"/accounts/{account}/pool-statement", headers=bearer).json()
    assert view.pool_statement["net_fen"] == statement["net_fen"]
    held = wallet_http.get(f"/accounts/{account}", headers=bearer).json()
    frozen = {h["asset"]: h["amount"] for h in held["holdings"] if h["state"] == "frozen"}
    assert {c.batch: c.frozen_g for c in view.credits if c.frozen_g} == frozen


def test_an_ineligible_person_is_told_each_failed_condition_and_pointed_to_the_pool(
    wallet_http: TestClient,
) -> None:
    html = _wallet(wallet_http, TRAVELLER)
    sell = html[html.index('id="sell"') : html.index('id="pools"')]
    assert "<code>no_facts_recorded</code>" in sell and "CN/2024-05-01" in sell
    assert 'action="/web/wallet/sell"' not in sell
    assert 'action="/web/wallet/deposit"' in html


def test_the_wallet_is_in_chinese_by_default(wallet_http: TestClient) -> None:
    html = _wallet(wallet_http, TRAVELLER, lang="zh")
    assert '<html lang="zh-CN">' in html and "2.102 千克" in html


def test_only_an_individual_has_a_wallet(wallet_http: TestClient) -> None:
    _sign_in(wallet_http, "platform")
    assert wallet_http.get("/web/wallet").status_code == 403
    wallet_http.cookies.clear()
    away = wallet_http.get("/web/wallet", follow_redirects=False)
    assert away.status_code == 303 and "/web/login?next=" in away.headers["location"]


# ---- the forms --------------------------------------------------------------------------
def _holding(app: App, party: str, batch: str, state: str = "available") -> int:
    account = reads.own_individual_account(app.store, party)
    view = queries.account_view(app.store, account)
    return sum(h.amount for h in view.holdings if h.asset == batch and h.state == state)


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(
    wallet_http: TestClient, wallet_app: App
) -> None:
    html = _wallet(wallet_http, TRAVELLER)
    before = _holding(wallet_app, TRAVELLER_PARTY, "PCER-GD-CI-2026Q4-001")
    form = {**_fields(html, "wallet/retire"), "batch": "PCER-GD-CI-2026Q4-001", "quantity_g": "5"}
    form["csrf_token"] = "0" * 64
    refused = wallet_http.post("/web/wallet/retire", data=form)
    assert refused.status_code == 403 and "csrf_invalid" in refused.text
    assert _holding(wallet_app, TRAVELLER_PARTY, "PCER-GD-CI-2026Q4-001") == before


def test_a_retirement_gives_its_certificate_and_a_double_submit_replays(
    wallet_http: TestClient, wallet_app: App
) -> None:
    html = _wallet(wallet_http, TRAVELLER)
    batch = "PCER-GD-CI-2026Q4-001"
    before = _holding(wallet_app, TRAVELLER_PARTY, batch)
    form = {**_fields(html, "wallet/retire"), "batch": batch, "quantity_g": "100"}
    done = wallet_http.post("/web/wallet/retire", data={**form, "reason": "my commute"})
    assert done.status_code == 200 and 'id="replayed"' not in done.text
    found = re.search(r'href="(/certificates/RC-[^"]+\.html)" id="certificate-link"', done.text)
    assert found is not None
    certificate = wallet_http.get(found.group(1))
    assert certificate.status_code == 200 and batch in certificate.text
    assert "my commute" in done.text  # listed under my certificates
    again = wallet_http.post("/web/wallet/retire", data={**form, "reason": "my commute"})
    assert again.status_code == 200 and 'id="replayed"' in again.text
    assert _holding(wallet_app, TRAVELLER_PARTY, batch) == before - 100


def test_collecting_with_nothing_waiting_is_refused_with_its_code(
    wallet_http: TestClient,
) -> None:
    html = _wallet(wallet_http, TRAVELLER)
    refused = wallet_http.post("/web/wallet/collect", data=_fields(html))
    assert (
        refused.status_code == 409
        and '<code class="error-code">nothing_to_collect</code>' in refused.text
    )
    assert 'id="energy-month">2.102 kg<' in refused.text  # the wallet, re-rendered


def test_a_refused_deposit_shows_its_code_and_writes_nothing(
    wallet_http: TestClient, wallet_app: App
) -> None:
    html = _wallet(wallet_http, TRAVELLER)
    batch = "PCER-GD-CI-2026Q4-001"
    before = _holding(wallet_app, TRAVELLER_PARTY, batch)
    form = {**_fields(html, "wallet/deposit"), "pool": "POOL-GD-0001", "batch": batch}
    too_much = wallet_http.post("/web/wallet/deposit", data={**form, "quantity_g": "999999999"})
    assert (
        too_much.status_code == 409
        and '<code class="error-code">insufficient_balance</code>' in too_much.text
    )
    not_a_number = wallet_http.post("/web/wallet/deposit", data={**form, "quantity_g": "1.5"})
    assert (
        not_a_number.status_code == 422
        and '<code class="error-code">not_integer</code>' in not_a_number.text
    )
    assert _holding(wallet_app, TRAVELLER_PARTY, batch) == before


def test_a_deposit_freezes_the_units_in_the_pool(wallet_http: TestClient, wallet_app: App) -> None:
    html = _wallet(wallet_http, TRAVELLER)
    batch = "PCER-GD-AFF0007-2026Q3-001"
    before = _holding(wallet_app, TRAVELLER_PARTY, batch, "frozen")
    form = {**_fields(html, "wallet/deposit"), "pool": "POOL-GD-0001", "batch": batch}
    done = wallet_http.post("/web/wallet/deposit", data={**form, "quantity_g": "40"})
    assert done.status_code == 200, done.text
    assert "Deposited 40 g of PCER-GD-AFF0007-2026Q3-001 into POOL-GD-0001" in done.text
    assert _holding(wallet_app, TRAVELLER_PARTY, batch, "frozen") == before + 40


def test_an_ineligible_sell_posted_anyway_is_refused_with_not_eligible(
    wallet_http: TestClient,
) -> None:
    html = _wallet(wallet_http, TRAVELLER)
    form = {
        **_fields(html, "wallet/deposit"),
        "contract": "PCER-GD-2026Q3",
        "lots": "1",
        "price_yuan_per_t": "82.00",
    }
    refused = wallet_http.post("/web/wallet/sell", data=form)
    assert (
        refused.status_code == 403
        and '<code class="error-code">not_eligible</code>' in refused.text
    )
    unheld = wallet_http.post("/web/wallet/sell", data={**form, "contract": "CEA-GD-2026"})
    assert (
        unheld.status_code == 422 and '<code class="error-code">bad_contract</code>' in unheld.text
    )


def test_an_eligible_saver_sells_a_lot_on_the_book(
    wallet_http: TestClient, wallet_app: App
) -> None:
    html = _wallet(wallet_http, SAVER)
    sell = html[html.index('id="sell"') : html.index('id="pools"')]
    assert "You may sell directly on the order book" in sell
    before = _holding(wallet_app, SAVER_PARTY, PCER_Q3, "frozen")
    form = {
        **_fields(sell, "wallet/sell"),
        "contract": "PCER-GD-2026Q3",
        "lots": "1",
        "price_yuan_per_t": "88.00",
    }
    placed = wallet_http.post("/web/wallet/sell", data=form)
    assert placed.status_code == 200, placed.text
    assert "Sell order for 10 kg of PCER-GD-2026Q3 at ¥88.00/t placed" in placed.text
    assert _holding(wallet_app, SAVER_PARTY, PCER_Q3, "frozen") == before + 10_000
    orders = placed.text[placed.text.index('id="orders"') :]
    assert "¥88.00/t" in orders


# ---- sponsoring and leaving a pool ---------------------------------------------------------
def _energy_available(app: App, party: str) -> int:
    return _holding(app, party, "GE")


def grant_walk(app: App, party: str, grams: int, day: str = "2026-11-29") -> None:
    """Credit ``party`` a day's walking energy (uncollected), as a partner's file would."""
    account = reads.own_individual_account(app.store, party)
    line = EnergyLine(
        day, account, party, "walking", "walking/v1", "steps", "step", 1, grams * 50,
        20_000, grams * 1_000_000, 0, 0, grams, "",
    )  # fmt: skip
    credit = EnergyCredit(day, ("walking/v1",), 0, [line])
    credit_energy(app.registry, "registry", f"test:walk:{party}:{day}", CreditEnergy(credit))


def test_sponsoring_without_enough_energy_is_refused_and_writes_nothing(
    wallet_http: TestClient, wallet_app: App
) -> None:
    html = _wallet(wallet_http, SAVER)
    assert "Sponsor AFF0007" in html and "18.712 kg of green energy per unit" in html
    form = {**_fields(html, "wallet/sponsor"), "project": "AFF0007", "units": "1"}
    before = _energy_available(wallet_app, SAVER_PARTY)
    refused = wallet_http.post("/web/wallet/sponsor", data=form)
    assert (
        refused.status_code == 409
        and '<code class="error-code">insufficient_balance</code>' in refused.text
    )
    bad = wallet_http.post("/web/wallet/sponsor", data={**form, "units": "one"})
    assert bad.status_code == 422 and '<code class="error-code">not_integer</code>' in bad.text
    forged = wallet_http.post("/web/wallet/sponsor", data={**form, "csrf_token": "0" * 64})
    assert forged.status_code == 403 and "csrf_invalid" in forged.text
    assert _energy_available(wallet_app, SAVER_PARTY) == before


def test_sponsoring_spends_energy_once_and_a_double_submit_replays(
    wallet_http: TestClient, wallet_app: App
) -> None:
    grant_walk(wallet_app, SAVER_PARTY, 20_000)
    html = _wallet(wallet_http, SAVER)
    collected = wallet_http.post("/web/wallet/collect", data=_fields(html, "wallet/collect"))
    assert "Collected 20 kg of green energy" in collected.text
    before = _energy_available(wallet_app, SAVER_PARTY)
    form = {**_fields(collected.text, "wallet/sponsor"), "project": "AFF0007", "units": "1"}
    done = wallet_http.post("/web/wallet/sponsor", data=form)
    assert done.status_code == 200, done.text
    assert "Sponsored 1 unit(s) of AFF0007 with 18.712 kg of green energy" in done.text
    again = wallet_http.post("/web/wallet/sponsor", data=form)
    assert again.status_code == 200 and 'id="replayed"' in again.text
    assert _energy_available(wallet_app, SAVER_PARTY) == before - 18_712
    trees = again.text[again.text.index('id="trees"') : again.text.index('id="credits"')]
    assert "AFF0007" in trees


def test_a_pool_deposit_is_locked_then_given_notice_then_withdrawn_once(
    wallet_http: TestClient, wallet_app: App
) -> None:
    """One story, in one test (split across xdist workers, its steps saw other wallets):
    the deposit of 24 November is locked in for 30 days and notice (3 days) is not given,
    so nothing may leave; notice given on 30 November is recorded once; after 24 December
    (the lock-in's end; the notice ran out on 3 December) the unsold units may leave."""
    html = _wallet(wallet_http, TRAVELLER)
    leave = html[html.index('id="leave-POOL-GD-0001"') :]
    assert 'id="free-POOL-GD-0001">0 g<' in leave
    assert 'id="earliest-POOL-GD-0001">Dec 24, 2026' in leave
    assert 'action="/web/wallet/notice"' in leave
    form = {**_fields(leave, "wallet/withdraw"), "pool": "POOL-GD-0001", "quantity_g": "100"}
    before = _holding(wallet_app, TRAVELLER_PARTY, PCER_Q3, "frozen")
    refused = wallet_http.post("/web/wallet/withdraw", data=form)
    assert (
        refused.status_code == 409
        and '<code class="error-code">pool_units_locked</code>' in refused.text
    )
    assert _holding(wallet_app, TRAVELLER_PARTY, PCER_Q3, "frozen") == before
    forged = wallet_http.post("/web/wallet/withdraw", data={**form, "csrf_token": "0" * 64})
    assert forged.status_code == 403 and "csrf_invalid" in forged.text

    # Notice, given once.
    html = _wallet(wallet_http, TRAVELLER)
    form = {**_fields(html, "wallet/notice"), "pool": "POOL-GD-0001"}
    given = wallet_http.post("/web/wallet/notice", data=form)
    assert given.status_code == 200, given.text
    assert "Notice of withdrawal from POOL-GD-0001 given at Nov 30, 2026" in given.text
    again = wallet_http.post("/web/wallet/notice", data=form)
    assert 'id="replayed"' in again.text
    assert 'action="/web/wallet/notice"' not in again.text  # given: no second form
    # Still inside the lock-in: the earliest date stays the lock-in's end.
    assert 'id="earliest-POOL-GD-0001">Dec 24, 2026' in again.text
    unknown = {**_fields(again.text, "wallet/withdraw"), "pool": "POOL-XX-9", "quantity_g": "1"}
    missing = wallet_http.post("/web/wallet/withdraw", data=unknown)
    assert (
        missing.status_code == 404
        and '<code class="error-code">unknown_pool</code>' in missing.text
    )

    # Once lock-in and notice have run: withdrawn once.
    clock = wallet_app.clock
    assert isinstance(clock, SetClock)
    before_now = clock.now
    clock.now = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
    try:
        html = _wallet(wallet_http, TRAVELLER)
        leave = html[html.index('id="leave-POOL-GD-0001"') :]
        assert 'id="free-POOL-GD-0001">528 g<' in leave
        form = {**_fields(leave, "wallet/withdraw"), "pool": "POOL-GD-0001"}
        frozen = _holding(wallet_app, TRAVELLER_PARTY, PCER_Q3, "frozen")
        too_much = wallet_http.post("/web/wallet/withdraw", data={**form, "quantity_g": "100000"})
        assert too_much.status_code == 409
        assert '<code class="error-code">pool_units_sold</code>' in too_much.text
        done = wallet_http.post("/web/wallet/withdraw", data={**form, "quantity_g": "100"})
        assert done.status_code == 200, done.text
        assert "Withdrew 100 g of unsold units from POOL-GD-0001" in done.text
        again = wallet_http.post("/web/wallet/withdraw", data={**form, "quantity_g": "100"})
        assert 'id="replayed"' in again.text
        assert _holding(wallet_app, TRAVELLER_PARTY, PCER_Q3, "frozen") == frozen - 100
    finally:
        clock.now = before_now


def test_consent_moves_my_unsold_units_to_the_new_terms_once(
    wallet_http: TestClient, wallet_app: App
) -> None:
    html = _wallet(wallet_http, TRAVELLER)
    assert 'action="/web/wallet/consent"' not in html  # one version of the terms only
    form = {**_fields(html, "wallet/withdraw"), "pool": "POOL-GD-0001", "version": "1"}
    refused = wallet_http.post("/web/wallet/consent", data=form)
    assert refused.status_code == 409
    assert '<code class="error-code">nothing_to_consent</code>' in refused.text
    # The platform lowers its fee: version 2 binds new deposits, and old ones by consent.
    current = pool_queries.terms_versions(wallet_app.store, "POOL-GD-0001")[-1]["terms"]
    lower = Terms.from_json({**current, "fee_bps": 400})
    publish = pc.PublishTerms("POOL-GD-0001", lower)
    wallet_app.pools.publish_terms("gd-tanpuhui", "test:terms-v2", publish)
    html = _wallet(wallet_http, TRAVELLER)
    assert "Consent to terms version 2" in html
    form = {**_fields(html, "wallet/consent"), "pool": "POOL-GD-0001", "version": "2"}
    done = wallet_http.post("/web/wallet/consent", data=form)
    assert done.status_code == 200, done.text
    assert "Your unsold units in POOL-GD-0001 are now under terms version 2" in done.text
    assert 'action="/web/wallet/consent"' not in done.text
    again = wallet_http.post("/web/wallet/consent", data=form)
    assert 'id="replayed"' in again.text
    versions = {
        int(d["terms_version"])
        for d in pool_queries.deposits_of_pool(wallet_app.store, "POOL-GD-0001")
        if d["account_id"] == reads.own_individual_account(wallet_app.store, TRAVELLER_PARTY)
        and int(d["quantity_g"]) > int(d["sold_g"]) + int(d["withdrawn_g"])
    }
    assert versions == {2}


# ---- the browser journeys ----------------------------------------------------------------
@pytest.fixture(scope="module")
def wallet_site(wallet_api: FastAPI) -> Iterator[str]:
    """The API and pages over the wallet's copy, served on a free loopback port."""
    with served(wallet_api) as url:
        yield url


@pytest.fixture
def wallet_page(browser: Any, wallet_site: str) -> Iterator[Callable[[str, str], Any]]:
    """``wallet_page(username, lang)``: a desktop page signed in on the wallet's site."""
    contexts: list[Any] = []

    def open_page(username: str, lang: str) -> Any:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            locale="zh-CN" if lang == "zh" else "en-US",
            base_url=wallet_site,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"/web/login?lang={lang}")
        page.fill("#username", username)
        page.fill("#password", demo.DEMO_PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_url("**/web/wallet")
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_journey_zh_behaviour_energy_sponsor_credits_pool_payout(
    wallet_app: App,
    wallet_page: Callable[[str, str], Any],
    shoot: Callable[[Any, str], list[Path]],
    axe_serious: Callable[[Any], list[dict[str, Any]]],
    fits: Callable[[Any, int], None],
) -> None:
    # Saturday's walks, credited by the partner's file: 20 kg waiting to be collected.
    grant_walk(wallet_app, TRAVELLER_PARTY, 20_000, day="2026-11-28")
    page = wallet_page(TRAVELLER, "zh")
    assert page.locator("h1").inner_text() == "我的碳账户"
    # Behaviour → energy: the metro's line, its methodology and factor; collect it.
    behaviours = page.locator("#behaviours")
    assert "metro/v1" in behaviours.inner_text() and "0.0468 g/米" in behaviours.inner_text()
    page.locator("form[action$='/wallet/collect'] button").click()
    page.wait_for_selector("#notice")
    assert "20 千克" in page.inner_text("#notice")
    # Beside the 22.536 kg he collected from his car's charge in June 2027 (demo_charging).
    assert page.locator("#energy-available").inner_text() == "42.536 千克"
    # → sponsor: one m² of AFF0007 for 18.712 kg of energy, expected to remove as much.
    sponsor = page.locator("#sponsor-AFF0007")
    sponsor.locator("input[name=units]").fill("1")
    sponsor.locator("button[type=submit]").click()
    page.wait_for_selector("#notice")
    assert "AFF0007" in page.inner_text("#notice")
    assert page.locator("#energy-available").inner_text() == "23.824 千克"
    trees = page.locator("#trees").inner_text()
    assert "AFF0007" in trees and "18.712 千克" in trees
    # → credits: the sink's batch and the carbon-inclusive ones, each with its origin.
    credits = page.locator("#credits").inner_text()
    assert "PCER-GD-AFF0007-2026Q3-001" in credits and "PCER-GD-CI-2026Q4-001" in credits
    # → pool: deposit carbon-inclusive credits; the pool's door shows when they may leave.
    page.select_option("#deposit-batch", "PCER-GD-CI-2026Q4-001")
    page.fill("#deposit-g", "50")
    page.locator("#deposit-form button[type=submit]").click()
    page.wait_for_selector("#notice")
    assert "POOL-GD-0001" in page.inner_text("#notice")
    assert "POOL-GD-0001" in page.locator("#deposits").inner_text()
    assert page.locator("#earliest-POOL-GD-0001").count() == 1
    # → payout: the deposit sold in the pool's sale, and what it paid.
    assert page.locator("#payout-total").inner_text() == "¥0.60"
    page.wait_for_selector("html[data-charts-drawn='2']", state="attached")
    assert page.locator("#energy-by-behaviour svg").count() == 1
    shoot(page, "wallet")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing scrolls sideways
    # (the charts redraw at the new width on the resize event, a moment later)
    fits(page, 390)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert axe_serious(page) == []


def test_journey_en_an_eligible_individual_sells_directly(
    wallet_page: Callable[[str, str], Any],
    axe_serious: Callable[[Any], list[dict[str, Any]]],
) -> None:
    page = wallet_page(SAVER, "en")
    card = page.locator("#sell-PCER-GD-2026Q3")
    assert "You may sell directly" in card.inner_text()
    card.get_by_label("Lots to sell").fill("1")
    card.get_by_label("Price, yuan per tonne").fill("89.00")
    card.get_by_role("button", name="Place sell order").click()
    page.wait_for_selector("#notice")
    assert "Sell order for 10 kg of PCER-GD-2026Q3 at ¥89.00/t placed" in page.inner_text("#notice")
    assert "¥89.00/t" in page.locator("#orders").inner_text()
    assert axe_serious(page) == []
