"""Rule sets: the shipped files load, lookups pick the rules in force, bad files fail clearly."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pctrade.kernel.errors import Conflict, NotFound
from pctrade.rules import IssuancePath, RuleSetError, load_text
from pctrade.rules import shipped as shipped_book

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
    assert rs.assumptions() == ["sinks.buffer_bps"]
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
        for name in ("trading", "offsets", "fees", "eligibility", "energy", "sinks"):
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
