"""A pool sale through the registry (SQLite and PostgreSQL): one ``pool_settle`` entry,
delivery versus payment out of the contributors' holds, exact payouts, its rows, its
refusals (nothing moves), its replay by key, and ``verify``'s audit of its rows."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa
from sale_support import POOL, TERMS, a_sale, pool_world, sell

from integration.registry_world import snapshot
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_ASSET, State, SystemAccount
from pctrade.ledger.operations import FreezeReason
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools import sales
from pctrade.pools.settle import BuyerCash
from pctrade.pools.sql import sales as sdb
from pctrade.pools.sql import schema as pschema


def test_a_sale_pays_every_contributor_exactly_in_one_verified_entry(any_store: SqlStore) -> None:
    pw = pool_world(any_store)
    w = pw.w
    _, before, _ = snapshot(any_store)
    receipt = sell(w.reg, "sale-1", a_sale(pw))
    assert receipt.entry.header.op_type == "pool_settle"
    _, after, holds = snapshot(any_store)

    def gained(account: int, asset: int, state: State = State.AVAILABLE) -> int:
        return after.get((account, asset, state), 0) - before.get((account, asset, state), 0)

    # 2 kg at 6,000 yuan/t: 1,200 fen gross; fee 3 each side; pool fee 5% of 1,197 = 59.
    assert gained(w.steel, pw.asset) == 2_000
    assert gained(w.steel, CASH_ASSET) == -1_203
    assert gained(w.plat, CASH_ASSET) == 59
    assert gained(SystemAccount.FEES, CASH_ASSET) == 6
    # Pro rata: alice holds 2 kg of the pool's 5 kg, bob 3 kg: 800 g and 1,200 g.
    assert gained(w.alice, pw.asset, State.FROZEN) == -800
    assert gained(w.bob, pw.asset, State.FROZEN) == -1_200
    assert gained(w.alice, CASH_ASSET) + gained(w.bob, CASH_ASSET) == 1_138
    assert (gained(w.alice, CASH_ASSET), gained(w.bob, CASH_ASSET)) == (455, 683)  # 455.2, 682.8
    # Alice's oldest deposit gave first; the holds are what the deposits have left.
    a1, b1, a2 = pw.deposits
    assert (holds[a1], holds[b1], holds[a2]) == (200, 1_800, 1_000)
    with any_store.reader() as uow:
        assert sales.free_g(uow, POOL) == 3_000
        sale = sdb.sale(uow, receipt.entry.seq)
        lines = list(sdb.lines_of_sale(uow, receipt.entry.seq))
    assert sale is not None
    assert (sale["gross_fen"], sale["trade_fee_fen"], sale["pool_fee_fen"], sale["net_fen"]) == (
        1_200,
        3,
        59,
        1_138,
    )
    assert sale["paid_at"] == sale["ts"]  # settlement and payout are one entry
    assert [(ln["account_id"], ln["grams_g"], ln["net_fen"]) for ln in lines] == [
        (w.alice, 800, 455),
        (w.bob, 1_200, 683),
    ]
    assert sum(ln["gross_fen"] for ln in lines) == 1_200
    assert all(ln["gross_fen"] - ln["fee_fen"] == ln["net_fen"] for ln in lines)
    report = verify(any_store)
    assert report.ok, report.problems
    # The same key again is a replay: nothing moves twice.
    assert sell(w.reg, "sale-1", a_sale(pw)).replayed
    assert snapshot(any_store)[1] == after


BAD_SALES = {
    "below_floor": lambda pw: replace(a_sale(pw), price_fen_per_t=49_999),
    "exceeds_pool": lambda pw: replace(a_sale(pw), quantity_g=5_001),
    "same_account": lambda pw: replace(a_sale(pw), buyer=pw.w.bob),  # a contributor buying
    "unknown_pool": lambda pw: replace(a_sale(pw), pool_id="POOL-GD-0002"),
}


@pytest.mark.parametrize("code", sorted(BAD_SALES))
def test_a_bad_sale_is_refused_with_its_code_and_moves_nothing(
    any_store: SqlStore, code: str
) -> None:
    pw = pool_world(any_store)
    before = snapshot(any_store)
    with pytest.raises(PctradeError) as exc:
        sell(pw.w.reg, "bad", BAD_SALES[code](pw))
    assert exc.value.code == code
    assert snapshot(any_store) == before
    with any_store.reader() as uow:
        assert sdb.all_sales(uow) == []


def test_a_buyer_without_the_cash_is_refused(any_store: SqlStore) -> None:
    pw = pool_world(any_store)
    before = snapshot(any_store)
    with pytest.raises(PctradeError) as exc:
        sell(pw.w.reg, "rich", a_sale(pw, quantity_g=5_000, price=300_000_000))
    assert exc.value.code == "insufficient_balance"
    assert snapshot(any_store) == before


def test_fifo_takes_the_oldest_deposits_and_the_pool_empties_exactly(any_store: SqlStore) -> None:
    pw = pool_world(any_store, replace(TERMS, draw_order="fifo"))
    sell(pw.w.reg, "s1", a_sale(pw, quantity_g=1_500))
    holds = snapshot(any_store)[2]
    assert [holds[d] for d in pw.deposits] == [0, 2_500, 1_000]
    sell(pw.w.reg, "s2", a_sale(pw, quantity_g=3_500, sale_id="S-2"))
    with any_store.reader() as uow:
        assert sales.free_g(uow, POOL) == 0
    assert verify(any_store).ok


def test_verify_flags_sale_rows_that_differ_from_the_entry(store: SqlStore) -> None:
    pw = pool_world(store)
    seq = sell(pw.w.reg, "sale-1", a_sale(pw)).entry.seq
    assert verify(store).ok
    line = sdb.pool_sale_lines.c
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(sdb.pool_sale_lines)
            .where(line.entry_seq == seq, line.account_id == pw.w.alice)
            .values(net_fen=line.net_fen + 1, gross_fen=line.gross_fen + 1)
        )
        conn.execute(
            sa.update(sdb.pool_sale_lines)
            .where(line.entry_seq == seq, line.account_id == pw.w.bob)
            .values(net_fen=line.net_fen - 1, gross_fen=line.gross_fen - 1)
        )
    assert [p.code for p in verify(store).problems] == ["pool_sale_lines_mismatch"]
    with store.engine.begin() as conn:
        conn.execute(sa.delete(sdb.pool_sales))
    codes = {p.code for p in verify(store).problems}
    assert "pool_settle_without_sale" in codes
    # One gram more recorded withdrawn: the derived sold grams are one short of the draws.
    d = pschema.pool_deposits.c
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(pschema.pool_deposits)
            .values(withdrawn_g=d.withdrawn_g + 1)
            .where(d.deposit_id == pw.deposits[0])
        )
    assert "pool_deposit_mismatch" in {p.code for p in verify(store).problems}


def test_the_buyers_cash_hold_pays_and_the_rest_is_released_in_the_same_entry(
    any_store: SqlStore,
) -> None:
    pw = pool_world(any_store)
    w = pw.w
    held = w.reg.freeze(
        "steel", "hold-cash", c.Freeze(w.steel, "CNY", 2_000, FreezeReason.PLEDGE, "bid-1")
    )
    hold_id = held.entry.seq
    before = snapshot(any_store)[1]
    sell(w.reg, "sale-h", a_sale(pw), BuyerCash(((hold_id, 2_000),), reserve_after_fen=300))
    _, after, holds = snapshot(any_store)
    # 1,203 fen due: 1,700 drawn from the hold (300 kept), 497 released to available.
    assert holds[hold_id] == 300
    key_frozen, key_available = (w.steel, CASH_ASSET, State.FROZEN), (w.steel, CASH_ASSET, 0)
    assert after[key_frozen] - before[key_frozen] == -1_700
    assert after[key_available] - before[key_available] == 497
    report = verify(any_store)
    assert report.ok, report.problems


def test_the_pools_unsold_deposits_are_read_in_deposit_order_with_their_terms(
    store: SqlStore,
) -> None:
    pw = pool_world(store)
    sell(pw.w.reg, "s-1", a_sale(pw))
    with store.reader() as uow:
        unsold = sales.unsold_deposits(uow, POOL)
    assert [(d.lot.deposit_id, d.lot.remaining_g, d.terms_version) for d in unsold] == [
        (pw.deposits[0], 200, 1),
        (pw.deposits[1], 1_800, 1),
        (pw.deposits[2], 1_000, 1),
    ]
