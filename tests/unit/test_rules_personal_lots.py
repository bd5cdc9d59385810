"""An instrument's own lot, tick and holding minimum: ``[trading] lots`` and
``[eligibility] instrument_holding_min_g`` parsed, checked, applied and shipped."""

from __future__ import annotations

import pytest

from pctrade.rules import RuleSetError, load_text
from pctrade.rules import shipped as shipped_book
from pctrade.rules.model import Lot

BASE = """
jurisdiction = "XX"
iso_code = "CN-XX"
name = "Test jurisdiction"
effective_from = 2025-01-01

[sources.a]
figure = "f"
publisher = "p"
assumption = true

[trading]
quantity_step_g = 1_000_000
price_step_fen_per_t = 1
order_quantity_max_g = 99_999_000_000
price_limit_bps = 1_000
block_quantity_min_g = 100_000_000_000
block_price_limit_bps = 3_000
resale_delay_days = 1
lots.PCER.quantity_step_g = 10_000
lots.PCER.price_step_fen_per_t = 100
sources = ["a"]
assumed = ["lots"]

[eligibility]
real_name_verified = true
age_min_y = 18
risk_assessment = true
holding_min_g = 1_000_000
instrument_holding_min_g.PCER = 10_000
sources = ["a"]
"""


def test_an_instrument_trades_its_own_lot_and_tick_and_the_others_the_markets() -> None:
    rs = load_text(BASE)
    trading, eligibility = rs.trading, rs.eligibility
    assert trading is not None and eligibility is not None
    assert dict(trading.lots) == {"PCER": Lot(10_000, 100)}
    pcer = trading.for_instrument("PCER")
    assert (pcer.quantity_step_g, pcer.price_step_fen_per_t) == (10_000, 100)
    assert pcer.sessions == trading.sessions and pcer.price_limit_bps == 1_000
    assert trading.for_instrument("CEA") is trading
    assert eligibility.for_instrument("PCER").holding_min_g == 10_000
    assert eligibility.for_instrument("CCER").holding_min_g == 1_000_000
    assert "trading.lots" in rs.assumptions()


def test_without_lots_every_instrument_trades_the_markets_lot() -> None:
    plain = "\n".join(
        line
        for line in BASE.splitlines()
        if not line.startswith(("lots.", "instrument_holding", "assumed"))
    )
    rs = load_text(plain)
    assert rs.trading is not None and rs.eligibility is not None
    assert rs.trading.for_instrument("PCER").quantity_step_g == 1_000_000
    assert rs.eligibility.for_instrument("PCER").holding_min_g == 1_000_000


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("price_step_fen_per_t = 100", "price_step_fen_per_t = 10", "every lot's cash is whole"),
        ("lots.PCER.quantity_step_g = 10_000", "lots.PCER.quantity_step_g = 70_000",
         "does not divide [trading] order_quantity_max_g"),
        ("lots.PCER.price_step_fen_per_t = 100", "lots.PCER.tick = 100", "must set exactly"),
        ("lots.PCER.quantity_step_g = 10_000", "lots.PCER.quantity_step_g = 0", "outside"),
        ("lots.PCER.", "lots.pcer.", "does not match"),
        ("instrument_holding_min_g.PCER = 10_000", "instrument_holding_min_g.PCER = -1",
         "outside"),
        ("instrument_holding_min_g.PCER = 10_000", "instrument_holding_min_g = 5",
         "must be a table"),
    ],
)  # fmt: skip
def test_a_bad_lot_is_refused_with_a_message_naming_the_key(
    old: str, new: str, message: str
) -> None:
    with pytest.raises(RuleSetError) as exc:
        load_text(BASE.replace(old, new), "test.toml")
    assert exc.value.code == "bad_rule_set" and message in exc.value.message


def test_the_national_rules_trade_personal_credits_in_10_kg_lots_at_a_yuan_tick() -> None:
    cn = shipped_book().by_version("CN/2021-02-01")
    assert cn.trading is not None and cn.eligibility is not None
    pcer = cn.trading.for_instrument("PCER")
    # 10 kg × ¥1.00/t = 1 fen: every lot's cash is whole, and no finer tick would be.
    assert (pcer.quantity_step_g, pcer.price_step_fen_per_t) == (10_000, 100)
    assert pcer.quantity_step_g * pcer.price_step_fen_per_t == 1_000_000
    assert cn.trading.for_instrument("CEA").quantity_step_g == 1_000_000
    assert cn.eligibility.for_instrument("PCER").holding_min_g == 10_000
    assert {"trading.lots", "eligibility.instrument_holding_min_g"} <= set(cn.assumptions())


def test_a_pools_block_of_personal_credits_starts_at_its_own_threshold() -> None:
    # Issue 14: a platform pool sells PCER to a key emitter by block trade in tonnes, not
    # the 100,000 t of an emitter's allowances; other instruments keep the market's.
    cn = shipped_book().by_version("CN/2021-02-01")
    assert cn.trading is not None
    assert cn.trading.for_instrument("PCER").block_quantity_min_g == 1_000_000
    assert cn.trading.for_instrument("CEA").block_quantity_min_g == 100_000_000_000
    own = BASE.replace(
        "lots.PCER.price_step_fen_per_t = 100",
        "lots.PCER.price_step_fen_per_t = 100\nlots.PCER.block_quantity_min_g = 1_005_000",
    )
    with pytest.raises(RuleSetError) as exc:
        load_text(own, "test.toml")
    assert "does not divide its own block_quantity_min_g" in exc.value.message
