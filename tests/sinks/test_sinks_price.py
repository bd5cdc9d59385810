"""The published price of a sponsor unit (issue 11): expected removal × the rule set's ratio.

A unit's energy price is what the removal model expects of it over the crediting period,
at ``[sinks] energy_per_removal_bps``; a project priced off it is refused at registration
with the rule cited, and a sponsor sees the unit, its expected removal, its crediting
period and when credits come before spending.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sinks_api_support import Api
from sinks_world import (
    STAND_AGE_Y,
    SinkWorld,
    approved_project,
    build,
    file_report,
    new_key,
    spec,
    unit_g,
)

from api_support import api_for
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import shipped
from pctrade.sinks.monitoring import Period
from pctrade.sinks.price import crediting_removal_g, next_period_end, unit_price_g
from pctrade.sinks.queries import unit_offer
from pctrade.sinks.removals import removal_models


@pytest.fixture
def w(any_store: SqlStore) -> Iterator[SinkWorld]:
    world = build(any_store)
    yield world
    assert verify(any_store).ok


def test_the_expectation_ages_the_stand_a_year_at_a_time() -> None:
    models = removal_models()
    # 1 ha of fir planted now: 3 t/ha/y for years 0–4, 11 t/ha/y from year 5.
    five = crediting_removal_g(
        models, "chinese_fir", 10_000, 0, date(2026, 1, 1), date(2030, 12, 31)
    )
    assert five == 5 * 3_000_000 + 1 * 3_000_000 // 365  # 2028 has 366 days
    six = crediting_removal_g(
        models, "chinese_fir", 10_000, 0, date(2026, 1, 1), date(2031, 12, 31)
    )
    assert six - five in (11_000_000, 11_000_000 - 1)  # the sixth year, at the next band
    assert unit_price_g(17_900, 10_000) == 17_900  # Ant Forest: 1 g of energy per g
    assert unit_price_g(3, 5_000) == 2  # half up


def test_the_first_credits_follow_the_projects_reporting_rhythm() -> None:
    assert next_period_end(date(2026, 6, 2), None, None) == date(2026, 6, 30)
    assert next_period_end(date(2026, 11, 2), None, None) == date(2026, 12, 31)
    q3 = (date(2026, 7, 1), date(2026, 9, 30))
    assert next_period_end(date(2026, 9, 30), *q3) == date(2026, 9, 30)
    assert next_period_end(date(2026, 10, 5), *q3) == date(2026, 12, 31)


def test_a_project_priced_off_the_standard_is_refused_citing_the_rule(w: SinkWorld) -> None:
    for off in (unit_g() - 1, unit_g() + 1, 17_900):
        with pytest.raises(PctradeError) as exc:
            w.sinks.register("forestco", "off", replace(spec(), unit_energy_g=off), STAND_AGE_Y)
        assert exc.value.code == "unit_price_off_standard"
        assert "GD/2022-05-06 [sinks] energy_per_removal_bps = 10000" in exc.value.message
        assert f"prices it at {unit_g()} g" in exc.value.message
    row = w.sinks.register("forestco", new_key(), spec(), STAND_AGE_Y)
    assert row["unit_energy_g"] == unit_g() == unit_price_g(row["unit_expected_g"], 10_000)
    assert row["energy_per_removal_bps"] == 10_000


def test_a_rule_set_without_a_published_ratio_prices_nothing() -> None:
    gd = shipped().in_force("GD", date(2026, 6, 1))
    sinks = replace(gd.require_sinks(), energy_per_removal_bps=None)
    with pytest.raises(PctradeError) as exc:
        replace(gd, sinks=sinks).energy_per_removal_bps()
    assert exc.value.code == "no_rule"


def test_a_sponsor_sees_the_unit_its_expected_removal_and_when_credits_come(
    w: SinkWorld,
) -> None:
    code = approved_project(w, units=100)
    offer = unit_offer(w.reg, code)
    assert offer.price_g == unit_g() and offer.energy_per_removal_bps == 10_000
    assert offer.expected_removal_g == unit_g()  # 1 g of energy per g at 10,000 bps
    assert offer.unit_definition == "one tree (1 of 100 trees on 1,000,000 m²)"
    assert (offer.crediting_start, offer.crediting_end) == ("2026-01-01", "2045-12-31")
    assert offer.first_credits_after == "2026-06-30"  # the clock is 1 June 2026
    assert (offer.units_total, offer.units_left) == (100, 100)
    assert "ex post" in offer.credits
    q3 = Period(date(2026, 7, 1), date(2026, 9, 30))
    file_report(w, code, q3, 1_000)  # the project reports quarterly from now on
    assert unit_offer(w.reg, code).first_credits_after == "2026-12-31"


def test_the_offer_over_http(any_store: SqlStore) -> None:
    w = build(any_store)
    code = approved_project(w, units=100)
    with TestClient(api_for(w.app)) as client:
        api = Api(client, w)
        api.at(datetime(2026, 6, 2, tzinfo=UTC))
        got = client.get(f"/sinks/projects/{code}/offer", headers=api.headers["alice"]).json()
    assert got["price_g"] == got["expected_removal_g"] == unit_g()
    assert got["first_credits_after"] == "2026-06-30" and got["model_version"]
