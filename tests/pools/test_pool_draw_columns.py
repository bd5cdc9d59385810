"""The columnar draw and payout (``pools.sale_columns``) give ``allocation.draw``'s and
``payout.pay_out``'s answers on random pools, both draw orders; replay recomputes a packed
sale's payout from its draws and flags draws that do not make its postings."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from pctrade.kernel.split import largest_remainder
from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import EntryHeader
from pctrade.ledger.operations import HOLDS_PACKED, Plan
from pctrade.ledger.packed_np import pack_np
from pctrade.pools.allocation import DrawOrder, Lot, draw
from pctrade.pools.payout import contributions, pay_out
from pctrade.pools.sale_columns import (
    LotColumns,
    contributions_columns,
    draw_columns,
    pay_out_columns,
    plan_pool_settle_columns,
)
from pctrade.pools.settle import BuyerCash, PoolSale, check_pool_settle


def _random_lots(rng: random.Random) -> list[Lot]:
    accounts = rng.sample(range(1_000, 1_000 + 40), rng.randint(1, 25))
    lots = [
        Lot(deposit_id, rng.choice(accounts), rng.choice([7, 7, 8]), rng.randint(0, 9_000))
        for deposit_id in range(100, 100 + rng.randint(1, 60))
    ]
    lots[0] = Lot(lots[0].deposit_id, lots[0].account_id, lots[0].asset_id, 1 + lots[0].remaining_g)
    return lots


def _columns(lots: list[Lot]) -> LotColumns:
    def col(values: list[int]) -> np.ndarray:
        return np.asarray(values, dtype=np.int64)

    return LotColumns(
        col([lot.deposit_id for lot in lots]),
        col([lot.account_id for lot in lots]),
        col([lot.asset_id for lot in lots]),
        col([lot.remaining_g for lot in lots]),
        col([1] * len(lots)),
    )


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("order", list(DrawOrder))
def test_the_columnar_draw_and_payout_are_the_per_object_ones(seed: int, order: DrawOrder) -> None:
    rng = random.Random(seed)
    lots = _random_lots(rng)
    quantity = rng.randint(1, sum(lot.remaining_g for lot in lots))
    columns = _columns(lots)
    drawn = draw(lots, quantity, order, largest_remainder)
    drawn_np = draw_columns(columns, quantity, order)
    assert drawn_np.tolist() == drawn
    net = rng.randint(1, 10**7)
    accounts, grams = contributions([lot.account_id for lot in lots], drawn)
    expected = pay_out(net, accounts, grams)
    got = pay_out_columns(net, *contributions_columns(columns, drawn_np))
    assert got.accounts.tolist() == expected.accounts
    assert got.grams.tolist() == expected.grams
    assert got.net_fen.tolist() == expected.net_fen
    assert got.remainders.tolist() == expected.remainders


def _stored(plan: Plan) -> StoredEntry:
    header = EntryHeader(7, plan.op_type, "registry", "k", "0" * 64, "t", plan.payload)
    return StoredEntry(header, "0" * 64, "0" * 64, plan.postings)


def test_replay_recomputes_a_packed_sale_and_flags_draws_that_were_changed() -> None:
    lots = _columns(
        [Lot(100 + i, 1_000 + i, 7, g) for i, g in enumerate([5_000, 3_001, 1_999, 7_777])]
    )
    sale = PoolSale("POOL-1", "S-1", "block", 61_234, 12_000, 900, 901, 500, 30)
    drawn = draw_columns(lots, sale.quantity_g, DrawOrder.PRO_RATA)
    plan, payout = plan_pool_settle_columns(sale, lots, drawn, BuyerCash())
    assert int(payout.net_fen.sum()) == plan.payload["net_fen"]
    assert list(check_pool_settle(_stored(plan))) == []
    # One gram moved from one contributor's draw to another's: the draws still add up to
    # the sale, but the postings no longer follow from them.
    deltas = -drawn
    deltas[0] += 1
    deltas[1] -= 1
    columns = {"hold_id": lots.deposit_ids, "account": lots.accounts, "asset_id": lots.assets}
    forged = {**plan.payload, HOLDS_PACKED: pack_np({**columns, "delta": deltas})}
    problems = list(check_pool_settle(_stored(replace(plan, payload=forged))))
    assert [p.code for p in problems] == ["payout_mismatch"]
