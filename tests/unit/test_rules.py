"""Rule sets: the shipped files load, lookups pick the rules in force, bad files fail clearly."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pctrade.kernel.errors import Conflict, NotFound
from pctrade.rules import IssuancePath, RuleSetError, load_text
from pctrade.rules import shipped as shipped_book
from pctrade.rules.model import SECTIONS

GOOD = """
jurisdiction = "XX"
iso_code = "CN-XX"
name = "Test jurisdiction"
effective_from = 2025-01-01
issuance_paths = ["carbon_inclusive", "sink_sponsorship"]

[energy]
expiry_s = 7_200
partner_min_events = 50
partner_flagged_bps_max = 1_500
sources = ["a"]

[sinks]
buffer_bps = { afforestation = 1_234, redd = 0 }
methodologies = ["CCER-14-001-V01"]
sources = ["a"]
assumed = ["buffer_bps"]

[carbon_inclusive]
methodologies = ["bus/v1"]
person_min_g = 5
sources = ["a", "b"]

[trading]
quantity_step_g = 1
price_step_fen_per_t = 1
order_quantity_max_g = 10
price_limit_bps = 1_000
block_quantity_min_g = 10
block_price_limit_bps = 3_000
resale_delay_days = 1
sources = ["b"]

[positions]
instruments = ["CEA"]
limit_g = 100
emitter_limit_above_allocation_g = 100
disclosure_g = 50
emitter_disclosure_above_allocation_g = 50
sources = ["a"]

[surveillance]
related_kinds = ["same_party", "declared"]
wash_trades_min = 3
wash_volume_g_min = 10
layering_orders_min = 3
layering_window_s = 300
layering_cancel_s_max = 60
layering_away_bps_min = 10
layering_cancelled_bps_min = 5_000
spike_bps = 300
spike_window_s = 300
concentration_bps = 3_000
concentration_day_volume_g_min = 1_000
sources = ["b"]
assumed = ["spike_bps"]

[sources.a]
figure = "f"
publisher = "p"
assumption = false

[sources.b]
figure = "g"
publisher = "q"
assumption = true
note = "n"
"""


def test_a_good_file_parses_into_typed_sections() -> None:
    rs = load_text(GOOD)
    assert rs.version == "XX/2025-01-01"
    assert rs.require_energy().expiry_s == 7_200
    assert rs.require_energy().partner_min_events == 50
    assert rs.require_energy().partner_flagged_bps_max == 1_500
    assert rs.buffer_bps("afforestation") == 1_234
    assert rs.buffer_bps("redd") == 0
    assert rs.require_carbon_inclusive().methodologies == ("bus/v1",)
    assert rs.trading is not None and rs.trading.position_limit_g is None
    assert rs.assumptions() == ["surveillance.spike_bps", "sinks.buffer_bps"]
    assert rs.require_positions().limit_g == 100
    assert rs.require_positions().instruments == ("CEA",)
    assert rs.require_surveillance().related_kinds == ("same_party", "declared")
    assert rs.require_surveillance().layering_cancelled_bps_min == 5_000
    assert rs.sources["b"].assumption and rs.sources["b"].note == "n"
    assert len(rs.digest) == 64 and load_text(GOOD + "\n").digest != rs.digest


def test_a_rule_set_refuses_what_it_does_not_say() -> None:
    rs = load_text(GOOD)
    with pytest.raises(Conflict) as exc:
        rs.buffer_bps("conservation")
    assert exc.value.code == "no_rule"
    bare = load_text(
        GOOD.replace('"carbon_inclusive", ', "").split("[carbon_inclusive]")[0]
        + "[sources.a]\nfigure='f'\npublisher='p'\nassumption=false\n"
        + "[sources.b]\nfigure='f'\npublisher='p'\nassumption=false\n"
    )
    with pytest.raises(Conflict) as exc:
        bare.require_carbon_inclusive()
    assert exc.value.code == "path_not_admitted"
    assert bare.fees is None
    no_market = load_text(
        GOOD.split("[positions]")[0] + "[sources.a]" + GOOD.split("[sources.a]")[1]
    )
    for ask in (no_market.require_positions, no_market.require_surveillance):
        with pytest.raises(Conflict) as exc:
            ask()
        assert exc.value.code == "no_rule"


def _without_line(text: str, start: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(start))


BAD = [
    ("not toml", "not valid TOML"),
    (GOOD.replace('name = "Test', 'colour = "red"\nname = "Test'), "unknown key 'colour'"),
    (_without_line(GOOD, "iso_code"), "missing key 'iso_code'"),
    (GOOD.replace('"XX"', '"xx"'), "does not match"),
    (GOOD.replace('"CN-XX"', '"China"'), "does not match"),
    (GOOD.replace("2025-01-01", '"2025-01-01"'), "TOML date"),
    (GOOD.replace("2025-01-01", "2025-01-01T00:00:00"), "TOML date"),
    (GOOD.replace('"sink_sponsorship"]', '"airdrop"]'), "'airdrop' is not one of"),
    (GOOD.replace("expiry_s = 7_200", "expiry_s = 7200.0"), "must be an integer"),
    (GOOD.replace("expiry_s = 7_200", "expiry_s = true"), "must be an integer"),
    (GOOD.replace("expiry_s = 7_200", "expiry_s = 60"), "outside"),
    (GOOD.replace("expiry_s = 7_200", "expiry_s = 7_200\nexpiry_h = 2"), "unknown key 'expiry_h'"),
    (_without_line(GOOD, "person_min_g"), "missing key 'person_min_g'"),
    (_without_line(GOOD, "partner_min_events"), "missing key 'partner_min_events'"),
    (GOOD.replace("partner_min_events = 50", "partner_min_events = 0"), "outside"),
    (
        GOOD.replace("partner_flagged_bps_max = 1_500", "partner_flagged_bps_max = 10_001"),
        "outside",
    ),
    (GOOD.replace("partner_flagged_bps_max = 1_500", "partner_flagged_bps_max = 0.2"), "integer"),
    (GOOD.replace("redd = 0", "redd = 10_000"), "outside"),
    (GOOD.replace("redd = 0", "mangrove = 10"), "unknown project type 'mangrove'"),
    (GOOD.replace('["bus/v1"]', '["bus v1"]'), "does not match"),
    (GOOD.replace('["bus/v1"]', '["bus/v1", "bus/v1"]'), "twice"),
    (GOOD.replace('["bus/v1"]', "[]"), "must not be empty"),
    (GOOD.replace('sources = ["b"]', 'sources = ["c"]'), "no [sources.c] table"),
    (GOOD.replace('assumed = ["buffer_bps"]', 'assumed = ["colour"]'), "not a field"),
    (GOOD.replace('sources = ["b"]', ""), "missing key 'sources'"),
    (GOOD.replace('note = "n"', 'note = "n"\nurl = "u"'), "unknown key 'url'"),
    (GOOD.replace("assumption = true", 'assumption = "yes"'), "true or false"),
    (GOOD.split("[sources.a]")[0], "at least one [sources"),
    (
        GOOD.replace("resale_delay_days = 1", "resale_delay_days = 1\nposition_limit_g = 0"),
        "outside",
    ),
    (GOOD.replace('"carbon_inclusive", ', ""), "does not admit the path"),
    (
        _without_line(GOOD, "buffer_bps")
        .replace("[sinks]", "[fees]")
        .replace(
            'methodologies = ["CCER-14-001-V01"]', "trade_fee_cap_bps = 1\npool_fee_cap_bps = 1"
        )
        .replace('assumed = ["buffer_bps"]', ""),
        "admits sink_sponsorship but has no rules",
    ),
    (GOOD.replace("[energy]", "energy = 3\n[energy_]"), "unknown key"),
    (GOOD.replace("disclosure_g = 50\n", "disclosure_g = 101\n"), "disclosure_g is above limit_g"),
    (
        GOOD.replace(
            "emitter_disclosure_above_allocation_g = 50",
            "emitter_disclosure_above_allocation_g = 101",
        ),
        "emitter_disclosure_above_allocation_g is above",
    ),
    (
        GOOD.replace("resale_delay_days = 1", "resale_delay_days = 1\nposition_limit_g = 99"),
        "[trading] position_limit_g = 99 but [positions] limit_g = 100",
    ),
    (
        GOOD.replace("resale_delay_days = 1", "resale_delay_days = 1\nlarge_holder_report_g = 49"),
        "[trading] large_holder_report_g = 49",
    ),
    (_without_line(GOOD, "instruments"), "missing key 'instruments'"),
    (GOOD.replace('"same_party", "declared"', '"Same Party"'), "does not match"),
    (GOOD.replace('"same_party", "declared"', ""), "must not be empty"),
    (GOOD.replace("layering_orders_min = 3", "layering_orders_min = 1"), "outside"),
    (GOOD.replace("concentration_bps = 3_000", "concentration_bps = 0.3"), "integer"),
    (GOOD.replace("concentration_bps = 3_000", "concentration_bps = 10_000"), "outside"),
    (GOOD.replace("spike_window_s = 300", "spike_window_s = 0"), "outside"),
    (_without_line(GOOD, "spike_bps"), "missing key 'spike_bps'"),
    (GOOD.replace('assumed = ["spike_bps"]', 'assumed = ["spike_pct"]'), "not a field"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_file_is_refused_with_a_message_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(RuleSetError) as exc:
        load_text(text, "test.toml")
    assert exc.value.code == "bad_rule_set"
    assert message in exc.value.message
    assert exc.value.message.startswith("test.toml")


def test_every_shipped_rule_set_loads_and_cites_its_sources() -> None:
    shipped = shipped_book().rule_sets()
    assert {r.jurisdiction for r in shipped} >= {"CN", "GD", "SZ", "HB", "BJ"}
    for rs in shipped:
        assert rs.version == f"{rs.jurisdiction}/{rs.effective_from.isoformat()}"
        for name in SECTIONS:
            section = getattr(rs, name)
            if section is not None:
                assert all(s in rs.sources for s in section.cited.sources)


def test_the_national_figures_are_the_published_ones() -> None:
    cn = shipped_book().by_version("CN/2021-02-01")
    assert cn.offsets is not None and (cn.offsets.cap_bps, cn.offsets.types) == (500, ("CCER",))
    assert cn.trading is not None
    assert cn.trading.block_quantity_min_g == 100_000 * 1_000_000
    assert (cn.trading.price_limit_bps, cn.trading.block_price_limit_bps) == (1_000, 3_000)
    assert cn.require_energy().expiry_s == 72 * 3600
    assert not cn.admits(IssuancePath.CARBON_INCLUSIVE)


def test_the_market_rule_sets_carry_surveillance_and_beijing_its_position_limits() -> None:
    book = shipped_book()
    for version in ("CN/2021-02-01", "BJ/2014-01-01"):
        rules = book.by_version(version).require_surveillance()
        assert "same_party" in rules.related_kinds
        assert rules.layering_cancelled_bps_min == 5_000  # the SZSE 50 % cancel ratio
        assert set(rules.cited.assumed) == {  # every figure is ours until an exchange's
            "related_kinds", "wash_trades_min", "wash_volume_g_min", "layering_orders_min",
            "layering_window_s", "layering_cancel_s_max", "layering_away_bps_min",
            "layering_cancelled_bps_min", "spike_bps", "spike_window_s", "concentration_bps",
            "concentration_day_volume_g_min",
        }  # fmt: skip
    bj = book.by_version("BJ/2014-01-01").require_positions()
    t = 1_000_000
    assert (bj.limit_g, bj.emitter_limit_above_allocation_g) == (1_000_000 * t, 1_000_000 * t)
    assert (bj.disclosure_g, bj.emitter_disclosure_above_allocation_g) == (500_000 * t, 500_000 * t)
    assert bj.cited.assumed == frozenset()
    assert book.by_version("CN/2021-02-01").positions is None  # no published national figure


def test_the_rule_set_in_force_is_the_latest_that_started_by_the_day() -> None:
    gd = shipped_book().by_version("GD/2022-05-06")
    assert shipped_book().in_force("GD", gd.effective_from) is gd
    assert shipped_book().in_force("GD", date(2030, 1, 1)) is gd
    with pytest.raises(NotFound) as exc:
        shipped_book().in_force("GD", gd.effective_from - timedelta(days=1))
    assert exc.value.code == "no_rule_set"
    with pytest.raises(NotFound):
        shipped_book().in_force("ZZ", date(2030, 1, 1))
    with pytest.raises(NotFound):
        shipped_book().by_version("GD/1999-01-01")
