"""The demo, copied, with a clock and the pending work the console journeys act on.

The desk, market and regulator tests write (orders, surrenders, approvals), so they run
on a copy of the session's seeded demo database, never on the one the other pages'
tests read. The copy's app stands at 10:00 China time on Monday 7 June 2027, a trading
day before Guangdong's surrender deadline (20 June), and ``prepare`` adds, through the
services:

- a login for Yuebei Cement (``cement``), the demo's second emitter, whose 2026
  emissions (1,000 t) are reported, verified and confirmed: an obligation still short;
- Nanyue Power's ask of 200 t of CCER at ¥72/t on the book, for an emitter to buy;
- a second forest project, registered and waiting for the regulator's approval.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from pctrade import bootstrap, demo_sink_chain
from pctrade.bootstrap import App
from pctrade.compliance import commands as cc
from pctrade.compliance.emissions import SourceStream
from pctrade.demo_seeder import DEMO_PASSWORD, EMITTER, FOREST, REGULATOR, STAND_AGE_Y, VERIFIER
from pctrade.identity.commands import CreateLogin
from pctrade.kernel.clock import SetClock
from pctrade.kernel.units import G_PER_T
from pctrade.ledger import queries as ledger
from pctrade.ledger.model import SYSTEM_OWNER
from pctrade.market import commands as mc
from pctrade.sinks.price import spec_standard
from pctrade.sinks.project import Parcel, SponsorUnit, UnitKind

TRADING_NOW = datetime(2027, 6, 7, 2, 0, tzinfo=UTC)
CEMENT = "yuebei-cement"
CEMENT_LOGIN = "cement"
PASSWORD = DEMO_PASSWORD
CEMENT_EMISSIONS_G = 1_000 * G_PER_T  # 400 t of coal × 2.5 t CO2 per t
CCER_CONTRACT = "CCER-CN-2024"
ASK_FEN_PER_T = 7_200
ASK_G = 200 * G_PER_T
NEW_PROJECT = "AFF0099"


def copy_demo(demo_url: str, folder: Path) -> str:
    """A copy of the seeded demo's SQLite database (and its data folder) in ``folder``."""
    source = Path(demo_url.removeprefix("sqlite:///"))
    target = folder / source.name
    shutil.copyfile(source, target)
    kept = source.with_name(f"{source.stem}-data")
    if kept.is_dir():
        shutil.copytree(kept, folder / kept.name)
    return f"sqlite:///{target}"


def build(url: str) -> App:
    return bootstrap.build(url, clock=SetClock(TRADING_NOW))


def account_of(app: App, party_id: str) -> int:
    return ledger.accounts_of(app.store, party_id)[0].account_id


def prepare(app: App) -> None:
    app.identity.create_login(
        SYSTEM_OWNER, "w3:login:cement", CreateLogin(CEMENT_LOGIN, CEMENT, PASSWORD)
    )
    coal = SourceStream("燃煤 coal", 400_000, "kg", 2_500_000)
    report = cc.SubmitReport("GD", "2026", account_of(app, CEMENT), (coal,))
    receipt = app.compliance.submit_report(CEMENT, "w3:report", report)
    report_id = str(receipt.entry.header.payload["report_id"])
    verified = cc.VerifyReport(report_id, CEMENT_EMISSIONS_G)
    app.compliance.verify_report(VERIFIER, "w3:verify", verified)
    app.compliance.confirm_report(REGULATOR, "w3:confirm", cc.ConfirmReport(report_id))
    ask = mc.PlaceOrder(
        CCER_CONTRACT, account_of(app, EMITTER), "w3-ask", "sell", ASK_FEN_PER_T, ASK_G
    )
    app.market.place(EMITTER, "w3:ask", ask)
    register_project(app)


def register_project(app: App) -> None:
    spec = replace(
        demo_sink_chain._project_spec(unit_energy_g=1),
        code=NEW_PROJECT,
        name="清远山地造林 Qingyuan hillside afforestation",
        parcels=(Parcel("QY-01", 50_000, 8),),
        units_offered=50_000,
        unit=SponsorUnit(UnitKind.AREA, 50_000, 50_000, 1),
    )
    rules = app.rules.in_force(spec.jurisdiction, app.clock().date())
    standard = spec_standard(
        app.sinks.models, spec, STAND_AGE_Y, rules.energy_per_removal_bps(), rules.version
    )
    priced = replace(spec, unit_energy_g=standard.price_g)
    app.sinks.register(FOREST, "w3:sink:register", priced, stand_age_y=STAND_AGE_Y)


# ---- reading and posting the pages in TestClient tests --------------------------------
_HIDDEN = re.compile(r'name="(csrf_token|idempotency_key)" value="([^"]+)"')
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def sign_in(client: TestClient, username: str) -> None:
    fields = dict(_HIDDEN.findall(client.get("/web/login").text))
    fields |= {"username": username, "password": PASSWORD, "next": ""}
    answer = client.post("/web/login", data=fields, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def form_fields(html: str, action: str, index: int = 0) -> dict[str, str]:
    """The hidden fields of the ``index``-th form posting to ``action``."""
    forms = re.findall(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S)
    return dict(_HIDDEN.findall(forms[index]))


def main_text(html: str) -> str:
    """The page's main content as text, for assertions on what a person reads."""
    main = html[html.index("<main") : html.index("</main>")]
    return _SPACE.sub(" ", _TAG.sub(" ", main)).strip()
