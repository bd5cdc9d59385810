"""Personal credits on the order book: their own 10 kg lot, ¥1.00/t tick and minimum.

The PCER here come from the carbon-inclusive path (``personal_credits.issue_pcer``), as
every PCER must: Alice holds 35 kg, Bob 5 kg (less than a lot). Under the national
rules (``[trading] lots.PCER``) the contract trades in 10 kg lots at a ¥1.00/t tick, so
each lot's cash is a whole fen; an individual sells directly from one lot held
(``[eligibility] instrument_holding_min_g``). The CCER contract beside it keeps the
market's 1 t lot and 1 fen tick. On SQLite and PostgreSQL; every refusal leaves every
balance, hold and market row as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from market_world import (
    CONTRACT,
    DAY,
    MarketWorld,
    T,
    at,
    build_market,
    cash,
    holdings,
    market_rows,
)

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import State
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import ListContract, PlaceOrder
from pctrade.market.eligibility import NotEligible
from personal_credits import issue_pcer

KG = 1_000
PCER_CONTRACT = "PCER-GD-2026Q3"


def _world(store: SqlStore) -> MarketWorld:
    w = build_market(store)
    issued = issue_pcer(
        w.app, {w.accounts["alice"]: 35 * KG, w.accounts["bob"]: 5 * KG}, day=date(2026, 9, 15)
    )
    assert issued == "PCER-GD-CI-2026Q3-001"
    listing = ListContract("PCER", "GD", "2026Q3", reference_price_fen_per_t=8_000)
    w.market.list_contract("registry", "list-pcer", listing)
    w.clock.now = at(DAY, 10, 0)
    return w


def _order(w: MarketWorld, who: str, side: str, price: int, grams: int, coid: str) -> PlaceOrder:
    return PlaceOrder(PCER_CONTRACT, w.accounts[who], coid, side, price, grams)


def _state(store: SqlStore) -> object:
    with store.engine.connect() as conn:
        head = conn.execute(sa.select(schema.registry_head.c.last_seq)).scalar_one()
    return head, holdings(store), market_rows(store)


def _refused(w: MarketWorld, code: str, attempt: Callable[[], object]) -> PctradeError:
    before = _state(w.app.store)
    with pytest.raises(PctradeError) as err:
        attempt()
    assert err.value.code == code, err.value
    assert _state(w.app.store) == before
    return err.value


def test_an_individual_sells_inclusive_pcer_in_10_kg_lots_and_each_fill_is_whole_fen(
    any_store: SqlStore,
) -> None:
    w = _world(any_store)
    m = w.market
    steel_before = cash(any_store, w.accounts["steel"])
    alice_before = cash(any_store, w.accounts["alice"])
    m.place("alice", "s1", _order(w, "alice", "sell", 8_200, 20 * KG, "a1"))
    bought = m.place("steel", "b1", _order(w, "steel", "buy", 8_300, 30 * KG, "s1"))
    assert len(bought["trades"]) == 1
    # 20 kg at the resting ¥82.00/t: 164 fen, fees (0.05 %) rounded down to 0 fen.
    assert cash(any_store, w.accounts["alice"]) == alice_before + 164
    # The rest of the bid, 10 kg at ¥83.00/t, rests with its 83 fen frozen.
    assert cash(any_store, w.accounts["steel"], State.FROZEN) == 83
    assert cash(any_store, w.accounts["steel"]) == steel_before - 164 - 83
    assert verify(any_store).ok


def test_pcer_orders_off_its_lot_or_tick_are_refused_and_ccer_keeps_the_markets_own(
    any_store: SqlStore,
) -> None:
    w = _world(any_store)
    m = w.market
    _refused(
        w,
        "quantity_off_lot",
        lambda: m.place("steel", "k", _order(w, "steel", "buy", 8_200, 5 * KG, "x")),
    )
    _refused(
        w,
        "price_off_tick",
        lambda: m.place("steel", "k", _order(w, "steel", "buy", 8_250, 10 * KG, "x")),
    )
    # The CCER contract of the same market: 1 t lots, 1 fen ticks.
    ccer = PlaceOrder(CONTRACT, w.accounts["steel"], "c", "buy", 6_001, 10 * KG)
    _refused(w, "quantity_off_lot", lambda: m.place("steel", "k", ccer))
    m.place("steel", "k2", PlaceOrder(CONTRACT, w.accounts["steel"], "c", "buy", 6_001, T))


def test_an_individual_below_one_lot_of_pcer_is_sent_to_the_pools(any_store: SqlStore) -> None:
    w = _world(any_store)
    m = w.market
    err = _refused(
        w,
        "not_eligible",
        lambda: m.place("bob", "k", _order(w, "bob", "sell", 8_000, 10 * KG, "b")),
    )
    assert isinstance(err, NotEligible)
    assert [str(code) for code, _ in err.failed] == ["holding_below_min"]
    assert "10000 g minimum" in err.failed[0][1]
    # Alice, with 35 kg, sells one lot.
    m.place("alice", "k", _order(w, "alice", "sell", 8_000, 10 * KG, "a"))
