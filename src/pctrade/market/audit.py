"""What ``verify`` checks of the market's tables against the journal (issue 13).

- every trade row (order book, block or auction) has its ``trade_settle``,
  ``auction_settle`` or ``pool_settle`` entry, with the same trade, price, quantity,
  cash, fees and accounts; every ``trade_settle`` and ``auction_settle`` entry has its
  trade row (the entries are read by their own index, migrations 0017 and 0021, not by
  streaming the journal). A ``pool_settle`` entry names its sale, gross and platform
  where a trade names its trade, cash and seller; one without a trade row is a pool's
  sale made outside the market, which the pools' audit answers for;
- an open pool sell (issue 14) has no holds: its reservation is the pool's free units;
- every order's holds have exactly its reservation left: an open buy the cash and fee
  of what remains at its limit, an open sell what remains, a closed order nothing;
- every open hold of reason ``order`` that the market made belongs to an order, so the
  cash and credits frozen for orders are exactly the open orders' remaining reservations.
"""

from __future__ import annotations

from collections.abc import Iterator

from pctrade.ledger.invariants import Problem
from pctrade.ledger.ports import UnitOfWork
from pctrade.market.model import HOLD_PREFIX, POOL_SETTLE, reserve_fen
from pctrade.market.sql import store as db

_TRADE_FIELDS = (
    ("price_fen_per_t", "price_fen_per_t"),
    ("quantity_g", "quantity_g"),
    ("cash_fen", "cash_fen"),
    ("buyer_fee_fen", "buyer_fee_fen"),
    ("seller_fee_fen", "seller_fee_fen"),
    ("buyer_account", "buyer"),
    ("seller_account", "seller"),
)
# The same facts as a ``pool_settle`` payload names them (``pools.settle``).
_POOL_SALE_FIELDS = (
    ("trade_id", "sale"),
    ("price_fen_per_t", "price_fen_per_t"),
    ("quantity_g", "quantity_g"),
    ("cash_fen", "gross_fen"),
    ("buyer_fee_fen", "buyer_fee_fen"),
    ("seller_fee_fen", "seller_fee_fen"),
    ("buyer_account", "buyer"),
    ("seller_account", "platform"),
)


def audit_trades(uow: UnitOfWork) -> Iterator[Problem]:
    rows = {r["entry_seq"]: r for r in db.all_trades(uow)}
    settled: set[int] = set()
    # Only the settlement entries, by their partial index (migration 0017): the rest of
    # the journal is checked by the ledger's own pass.
    for seq, op_type, p in db.settlements(uow):
        settled.add(seq)
        row = rows.get(seq)
        pool = op_type == POOL_SETTLE
        if row is None:
            if not pool:
                yield Problem("market_settlement_without_trade", "no trade row", seq)
            continue
        if pool:
            same = all(row[col] == p.get(key) for col, key in _POOL_SALE_FIELDS)
        else:
            same = p.get("trade") == row["trade_id"] and all(
                int(row[col]) == p.get(key) for col, key in _TRADE_FIELDS
            )
        if not same:
            yield Problem("market_trade_mismatch", f"trade {row['trade_id']}", seq)
    for seq, row in rows.items():
        if seq not in settled:
            yield Problem("market_trade_without_settlement", f"trade {row['trade_id']}", seq)


def audit_reservations(uow: UnitOfWork) -> Iterator[Problem]:
    holds_of: dict[tuple[int, int], list[int]] = {}
    owned: set[int] = set()
    for h in db.all_order_holds(uow):
        holds_of.setdefault((h["contract_id"], h["order_id"]), []).append(h["hold_id"])
        owned.add(h["hold_id"])
    for order in db.all_orders(uow):
        left = 0
        for hold_id in holds_of.get((order["contract_id"], order["order_id"]), []):
            hold = uow.hold(hold_id)
            left += 0 if hold is None else hold.remaining
        remaining = int(order["quantity_g"]) - int(order["filled_g"])
        if order["state"] != "open" or order["pool_id"] is not None:
            expected = 0
        elif order["side"] == "buy":
            expected = reserve_fen(int(order["price_fen_per_t"]), remaining, int(order["fee_bps"]))
        else:
            expected = remaining
        if left != expected:
            yield Problem(
                "market_reservation_mismatch",
                f"order {order['contract_id']}/{order['order_id']} has {left} held, "
                f"reserves {expected}",
                None,
            )
    for hold_id, remaining in uow.stored_holds():
        if remaining <= 0 or hold_id in owned:
            continue
        hold = uow.hold(hold_id)
        if hold is not None and hold.reason == "order" and hold.reference.startswith(HOLD_PREFIX):
            yield Problem("market_orphan_hold", f"hold {hold_id} funds no order", hold_id)
