"""June 2027: 王伟 charges an electric car, and can sponsor another m² of forest.

``pctrade serve --demo`` stands at the story's end, 21 June 2027
(``demo_compliance.STORY_ENDS``). By then the story has spent every gram its people
collected in 2026: on m² of AFF0007 in June, or as carbon-inclusive PCER (the summer's
and November's issuances spend the collected energy of their periods). So that a
visitor signed in as a person finds the wallet's sponsor form usable, 王伟 (login
``wangwei``, the first traveller, who sponsored m² in 2026) now drives an electric car:
on Saturday 19 June a charging operator's file carries his session, quantified by the
same pipeline under the shipped electric-vehicle methodology (``ev_charging/v1``: the
petrol the charge replaces, less the grid's emissions for it) and credited; he
collects it on Sunday morning. Collected energy does not lapse, and no carbon-inclusive
issuance covers June 2027, so at the served moment he holds more than the price of one
m² (18.712 kg).

The credit is keyed by its day and the collection by ``demo:collect:…``, so a second
seeding replays both.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final

from pctrade import demo_events
from pctrade.demo_seeder import PROJECT, Charging, Seeder, utc
from pctrade.ledger.model import ENERGY_ASSET, State

CHARGE_DAY: Final = date(2027, 6, 19)  # a Saturday (China Standard Time)
# 40 kWh, about 270 km of driving: at ev_charging/v1's 0.5634 g per Wh it comes to
# 22.536 kg, one m²'s price (18.712 kg) and some change.
CHARGE_WH: Final = 40_000
DRIVER: Final = 0  # by index: 王伟, u000001, the demo login ``wangwei``


def charge_and_collect(s: Seeder) -> None:
    """The operator's file of the day, credited; 王伟 collects it the next morning."""
    pid = s.person(DRIVER)

    def write(path: Path) -> int:
        return demo_events.write_charge(path, CHARGE_DAY, pid, CHARGE_WH)

    day = s.credit_file(CHARGE_DAY, write)
    s.clock.now = utc(2027, 6, 20, 1)  # 09:00 China time, Sunday
    report = s.collect(pid, f"demo:collect:{pid}:{CHARGE_DAY}")
    with s.store.reader() as uow:
        available_g = uow.balance(s.acct(pid), ENERGY_ASSET, State.AVAILABLE)
    price_g = int(s.sinks.project(PROJECT)["unit_energy_g"])
    collected_g = 0 if report is None else report.collected_g
    s.result.charging = Charging(pid, day, collected_g, available_g, price_g)
