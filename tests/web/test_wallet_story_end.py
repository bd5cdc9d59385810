"""The served demo's person can sponsor: 王伟's wallet at the story's end.

``pctrade serve --demo`` stands at ``demo_compliance.STORY_ENDS`` (10:00 China time,
Monday 21 June 2027). By then the 2026 energy is all spent, but 王伟 (``wangwei``)
charged an electric car on 19 June and collected it (``demo_charging``): his wallet's
sponsor form spends it on a m² of AFF0007 instead of answering
``insufficient_balance``. The test works on a copy of the session's demo (it writes)
with the served clock, and posts the form as a browser would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_world import copy_demo, form_fields, sign_in
from fastapi.testclient import TestClient

from pctrade import bootstrap, demo_charging
from pctrade.api.app import create_app
from pctrade.bootstrap import App
from pctrade.demo_compliance import STORY_ENDS
from pctrade.demo_seeder import PROJECT, person_id
from pctrade.kernel.clock import SetClock
from pctrade.ledger import reads
from pctrade.ledger.model import ENERGY_ASSET, State

DRIVER = "wangwei"
DRIVER_PARTY = person_id(demo_charging.DRIVER)
PRICE_G = 18_712  # AFF0007's m², at the published price (the wallet shows 18.712 kg)


@pytest.fixture(scope="module")
def served_app(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """A copy of the demo whose clock stands where ``serve --demo`` puts it."""
    url = copy_demo(demo_url, tmp_path_factory.mktemp("story-end"))
    with bootstrap.build(url, clock=SetClock(STORY_ENDS)) as app:
        yield app


def _collected_g(app: App) -> int:
    account = reads.own_individual_account(app.store, DRIVER_PARTY)
    with app.store.reader() as uow:
        return uow.balance(account, ENERGY_ASSET, State.AVAILABLE)


def test_at_the_story_s_end_wangwei_sponsors_a_m2_through_the_wallet_form(
    served_app: App,
) -> None:
    # The charge, collected: 40 kWh at ev_charging/v1's 0.5634 g per Wh.
    assert _collected_g(served_app) == 22_536
    with TestClient(create_app(served_app)) as client:
        sign_in(client, DRIVER)
        page = client.get("/web/wallet?lang=en")
        assert page.status_code == 200, page.text
        assert 'id="energy-available">22.536 kg<' in page.text
        offer = page.text[page.text.index(f'id="sponsor-{PROJECT}"') :]
        assert "18.712 kg of green energy per unit" in offer
        form = {**form_fields(page.text, "/web/wallet/sponsor"), "project": PROJECT}
        done = client.post("/web/wallet/sponsor", data={**form, "units": "1"})
    assert done.status_code == 200, done.text
    assert f"Sponsored 1 unit(s) of {PROJECT} with 18.712 kg of green energy" in done.text
    assert 'id="energy-available">3.824 kg<' in done.text
    assert _collected_g(served_app) == 22_536 - PRICE_G
