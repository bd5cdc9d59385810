"""The compliance arithmetic (pure): allocation under a cap, emissions in integers,
surrender's rules and the status, each rule on two jurisdictions with different figures."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pctrade.compliance.allocation import (
    Benchmark,
    Installation,
    allocation_run,
    benchmark_of,
    free_allocation_g,
    preallocation_g,
    true_up_g,
    within_cap,
)
from pctrade.compliance.emissions import SourceStream, emissions_g
from pctrade.compliance.status import (
    Penalty,
    PenaltyPrice,
    PriceBasis,
    Status,
    average_price_fen_per_t,
    market_price,
    status_of,
)
from pctrade.compliance.surrender import (
    Obligation,
    Surrendered,
    Unit,
    check_surrender,
    offset_cap_g,
)
from pctrade.kernel.errors import PctradeError
from pctrade.kernel.units import G_PER_T
from pctrade.rules import shipped
from pctrade.rules.model import Compliance, Offsets

T = G_PER_T
COAL = Benchmark("power", "coal_300mw_above", "MWh", 877_000, "test")  # 0.877 t/MWh


def _rules(j: str) -> tuple[Offsets, Compliance]:
    r = shipped().in_force(j, date(2026, 1, 1))
    assert r.offsets is not None and r.compliance is not None
    return r.offsets, r.compliance


def _code(fn: object) -> str:
    with pytest.raises(PctradeError) as refused:
        fn()  # type: ignore[operator]
    return refused.value.code


# ---- allocation ----------------------------------------------------------------------


def test_free_allocation_is_benchmark_times_output_times_factors_rounded_down() -> None:
    plant = Installation("p", COAL, 1_000_000, (10_500, 9_999))  # 1 TWh, ×1.05 ×0.9999
    exact = 877_000 * 1_000_000 * 10_500 * 9_999
    assert free_allocation_g(plant) == exact // 10_000**2
    assert free_allocation_g(Installation("p", COAL, 3)) == 3 * 877_000


def test_the_national_formula_from_the_rule_set_s_cited_benchmarks() -> None:
    # supply benchmark × MWh supplied × factors + heat benchmark × GJ supplied
    cn = shipped().by_version("CN/2021-02-01")
    supply = benchmark_of(cn, "coal_300mw_above", "supply_g_per_mwh")
    heat = benchmark_of(cn, "coal_300mw_above", "heat_g_per_gj")
    assert (supply.g_per_unit, heat.g_per_unit, supply.source) == (877_000, 126_000, cn.version)
    unit = [
        Installation("plant", supply, 2_000_000, (10_500,)),  # air-cooled: ×1.05
        Installation("plant", heat, 1_000_000),
    ]
    per, _ = allocation_run(10**13, unit)
    assert per == {"plant": 877_000 * 2_000_000 * 105 // 100 + 126_000 * 1_000_000}
    assert _code(lambda: benchmark_of(cn, "nuclear", "supply_g_per_mwh")) == "no_benchmark"
    gd = shipped().by_version("GD/2022-05-06")
    assert _code(lambda: benchmark_of(gd, "gas", "supply_g_per_mwh")) == "no_rule"


def test_preallocation_and_true_up() -> None:
    prior = Installation("p", COAL, 1_000)
    actual = Installation("p", COAL, 600)
    given_g = preallocation_g(prior, 7_000)  # the national market's 70 %
    assert given_g == 877_000 * 1_000 * 7 // 10
    assert true_up_g(actual, given_g) == 877_000 * 600 - given_g < 0  # taken back


def test_an_allocation_beyond_the_cap_is_refused_and_the_reserve_is_tracked() -> None:
    plants = [Installation("a", COAL, 100), Installation("b", COAL, 50)]
    per, use = allocation_run(200 * T, plants, auctioned_g=50 * T)
    assert per == {"a": 87_700_000, "b": 43_850_000}
    assert use.reserve_g == 200 * T - 87_700_000 - 43_850_000 - 50 * T
    assert _code(lambda: allocation_run(130 * T, plants)) == "allocation_exceeds_cap"
    assert _code(lambda: within_cap(10, [5], auctioned_g=6)) == "allocation_exceeds_cap"


@given(
    st.lists(st.integers(0, 10**7), min_size=1, max_size=20),
    st.lists(st.integers(1, 20_000), max_size=3),
)
def test_rounding_never_gives_more_than_the_exact_figure(
    outputs: list[int], factors: list[int]
) -> None:
    plants = [Installation(f"e{i}", COAL, o, tuple(factors)) for i, o in enumerate(outputs)]
    scale = 10_000 ** len(factors)
    exact_total = sum(877_000 * o * _product(factors) for o in outputs)
    assert sum(free_allocation_g(p) for p in plants) * scale <= exact_total
    # so a cap the exact figures fit always fits the allocation
    allocation_run(-(-exact_total // scale), plants)


def _product(values: list[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out


# ---- emissions -----------------------------------------------------------------------


def test_emissions_are_exact_in_milligrams_and_rounded_up_once() -> None:
    streams = [
        SourceStream("coal", 1_000, "kg", 2_660_000),  # 2.66 kg CO2 per kg
        SourceStream("grid", 3, "kWh", 570_300),  # 0.5703 t/MWh
    ]
    assert emissions_g(streams) == 2_660_000 + 1_711  # 1,710.9 g rounds up


@pytest.mark.parametrize(
    ("stream", "code"),
    [
        (SourceStream("coal", -1, "kg", 1), "negative_activity"),
        (SourceStream("coal", 1.5, "kg", 1), "not_integer"),  # type: ignore[arg-type]
        (SourceStream("coal", True, "kg", 1), "not_integer"),  # type: ignore[arg-type]
        (SourceStream("coal", 1, "kg", -3), "negative_activity"),
    ],
)
def test_negative_or_fractional_activity_data_is_refused(stream: SourceStream, code: str) -> None:
    assert _code(lambda: emissions_g([stream])) == code
    assert _code(lambda: emissions_g([])) == "no_streams"
    twice = [SourceStream("a", 1, "kg", 1), SourceStream("a", 1, "kg", 1)]
    assert _code(lambda: emissions_g(twice)) == "duplicate_stream"


# ---- surrender -----------------------------------------------------------------------


def _ob(j: str, emissions: int | None = 1_000 * T, allocation: int = 900 * T) -> Obligation:
    return Obligation(j, "2025", emissions, allocation)


def test_the_offset_cap_and_its_basis_differ_per_jurisdiction() -> None:
    cn, gd, bj = _rules("CN")[0], _rules("GD")[0], _rules("BJ")[0]
    assert offset_cap_g(cn, _ob("CN")) == 50 * T  # 5 % of the allowances to surrender
    assert offset_cap_g(gd, _ob("GD")) == 100 * T  # 10 % of annual emissions
    assert offset_cap_g(bj, _ob("BJ")) == 45 * T  # 5 % of the year's allocation


@pytest.mark.parametrize(("j", "cap"), [("CN", 50 * T), ("GD", 100 * T)])
def test_offsets_up_to_the_cap_count_and_one_gram_more_is_refused(j: str, cap: int) -> None:
    offsets, compliance = _rules(j)
    on = date(2026, 5, 1)
    ok = check_surrender(
        offsets, compliance, _ob(j), Surrendered(), [Unit("CCER", j, 2024, None, cap)], on
    )
    assert ok.offsets_g == cap
    over = [Unit("CCER", j, 2024, None, cap + 1)]
    refused = _code(lambda: check_surrender(offsets, compliance, _ob(j), Surrendered(), over, on))
    assert refused == "offsets_above_cap"


def test_personal_credits_count_where_the_rule_set_admits_them() -> None:
    pcer = [Unit("PCER", "GD", 2026, None, 1 * T)]
    gd, cn = _rules("GD"), _rules("CN")
    assert check_surrender(*gd, _ob("GD"), Surrendered(), pcer, date(2026, 5, 1)).offsets_g == T
    assert (
        _code(lambda: check_surrender(*cn, _ob("CN"), Surrendered(), pcer, date(2026, 5, 1)))
        == "offset_type_not_admitted"
    )


def test_the_deadline_differs_per_jurisdiction() -> None:
    units = [Unit("CEA", "GD", 2025, None, T)]
    gd = _rules("GD")
    check_surrender(*gd, _ob("GD"), Surrendered(), units, date(2026, 6, 20))
    assert (
        _code(lambda: check_surrender(*gd, _ob("GD"), Surrendered(), units, date(2026, 6, 21)))
        == "surrender_after_deadline"
    )
    cn_units = [Unit("CEA", "CN", 2025, None, T)]
    check_surrender(*_rules("CN"), _ob("CN"), Surrendered(), cn_units, date(2026, 12, 31))


def test_vintages_linking_locality_and_methodologies() -> None:
    on = date(2026, 5, 1)
    cn, sh, bj = _rules("CN"), _rules("SH"), _rules("BJ")
    # allowances of a later vintage never count; an earlier one counts where it banks
    later = [Unit("CEA", "CN", 2026, None, T)]
    assert _code(lambda: check_surrender(*cn, _ob("CN"), Surrendered(), later, on)) == (
        "vintage_not_admitted"
    )
    check_surrender(*cn, _ob("CN"), Surrendered(), [Unit("CEA", "CN", 2021, None, T)], on)
    # another jurisdiction's allowances never count
    gd_cea = [Unit("CEA", "GD", 2025, None, T)]
    assert _code(lambda: check_surrender(*cn, _ob("CN"), Surrendered(), gd_cea, on)) == (
        "allowance_not_admitted"
    )
    # Shanghai takes no offset made before 2013; the national market no GD batch
    old = [Unit("CCER", "CN", 2012, None, T)]
    assert _code(lambda: check_surrender(*sh, _ob("SH"), Surrendered(), old, on)) == (
        "vintage_not_admitted"
    )
    check_surrender(*cn, _ob("CN"), Surrendered(), old, on)
    gd_ccer = [Unit("CCER", "GD", 2024, None, T)]
    assert _code(lambda: check_surrender(*cn, _ob("CN"), Surrendered(), gd_ccer, on)) == (
        "offset_jurisdiction_not_accepted"
    )
    # Beijing: at least half of its 45 t cap from Beijing projects
    outside = [Unit("CCER", "CN", 2024, None, 22_500_001)]
    assert _code(lambda: check_surrender(*bj, _ob("BJ"), Surrendered(), outside, on)) == (
        "offsets_nonlocal_above_cap"
    )
    mixed = [Unit("CCER", "CN", 2024, None, 22_500_000), Unit("CCER", "BJ", 2024, None, 22_500_000)]
    assert check_surrender(*bj, _ob("BJ"), Surrendered(), mixed, on).offsets_g == 45 * T


def test_unverified_or_excess_surrender_is_refused() -> None:
    on = date(2026, 5, 1)
    cn = _rules("CN")
    units = [Unit("CEA", "CN", 2025, None, T)]
    assert _code(lambda: check_surrender(*cn, _ob("CN", None), Surrendered(), units, on)) == (
        "emissions_not_verified"
    )
    nearly = Surrendered(allowances_g=1_000 * T - 1)
    assert _code(lambda: check_surrender(*cn, _ob("CN"), nearly, units, on)) == (
        "surrender_exceeds_obligation"
    )


# ---- status --------------------------------------------------------------------------


def test_status_codes_and_penalties_per_jurisdiction() -> None:
    decree_19 = shipped().by_version("CN/2021-02-01").compliance
    assert decree_19 is not None
    cn, gd, sz = decree_19, _rules("GD")[1], _rules("SZ")[1]
    done = status_of(_ob("CN"), Surrendered(allowances_g=1_000 * T), cn)
    assert (done.status, done.shortfall_g, done.penalty) == (Status.A, 0, None)
    unverified = status_of(_ob("CN", None), Surrendered(), cn)
    assert unverified.status is Status.C
    short = Surrendered(allowances_g=990 * T)
    cn_b = status_of(_ob("CN"), short, cn)
    assert cn_b.status is Status.B and cn_b.shortfall_g == 10 * T
    assert cn_b.penalty is not None
    assert (cn_b.penalty.fine_min_fen, cn_b.penalty.fine_max_fen) == (2_000_000, 3_000_000)
    assert cn_b.penalty.deduction_g == 10 * T
    gd_b = status_of(_ob("GD"), short, gd)
    assert gd_b.penalty is not None and gd_b.penalty.deduction_g == 20 * T  # twice
    # Shenzhen: three times the shortfall's market value, at 60 yuan a tonne
    sz_b = status_of(_ob("SZ"), short, sz, 6_000)
    assert sz_b.penalty is not None and sz_b.penalty.fine_min_fen == 3 * 10 * 6_000
    assert sz_b.penalty.price == PenaltyPrice(6_000, PriceBasis.GIVEN)
    # The national market since 2024-05-01: 5 to 10 times the value, no fixed fine; a
    # price given for Decree 19's fixed fine values nothing and is not reported.
    cn_2024 = _rules("CN")[1]
    at_60 = status_of(_ob("CN"), short, cn_2024, 6_000).penalty
    assert at_60 is not None
    assert (at_60.fine_min_fen, at_60.fine_max_fen) == (5 * 10 * 6_000, 10 * 10 * 6_000)
    assert at_60.deduction_g == 10 * T
    unknown = status_of(_ob("CN"), short, cn_2024).penalty
    assert unknown is not None and (unknown.fine_min_fen, unknown.fine_max_fen) == (None, None)
    assert unknown.price == PenaltyPrice(None, PriceBasis.NO_WINDOW)
    assert status_of(_ob("CN"), short, cn, 6_000).penalty == Penalty(2_000_000, 3_000_000, 10 * T)


def test_the_average_price_is_cash_over_grams_rounded_down() -> None:
    # 1 t at 60.00 and 2 t at 60.01: 18,002 fen over 3 t is 6,000.67 fen/t, valued at 6,000
    assert average_price_fen_per_t(6_000 + 2 * 6_001, 3 * T) == 6_000
    assert average_price_fen_per_t(0, 0) is None
    window = (date(2026, 12, 1), date(2026, 12, 31))
    none = market_price(*window, 0, 0, 0)
    assert (none.price_fen_per_t, none.basis) == (None, PriceBasis.NO_TRADES)
    some = market_price(*window, 2, 3 * T, 18_002)
    assert (some.price_fen_per_t, some.basis, some.trades) == (6_000, PriceBasis.MARKET, 2)
