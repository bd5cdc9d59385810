"""The market's command frame: one command's transaction (``_Run``) and what every venue
command shares with the order book's (``pctrade.market.service``): its replay, its
fixed plans, and the answer to a key raced on another contract.

``Market._command`` opens the frame; orders, block trades (``market.blocks``) and
auctions (``market.auctions``) write through it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec

from pctrade.kernel.errors import (
    Conflict,
    IdempotencyConflict,
    NotFound,
    ValidationError,
)
from pctrade.ledger.commands import Command
from pctrade.ledger.journal import JsonDict, canonical_json, format_ts
from pctrade.ledger.model import Party
from pctrade.ledger.operations import FreezeReason, Plan, plan_freeze, plan_unfreeze
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import account_of
from pctrade.ledger.write import system_key
from pctrade.market.engine import (
    OrderBook,
    Side,
)
from pctrade.market.model import (
    HOLD_PREFIX,
    Held,
    reserve_fen,
)
from pctrade.market.sql import store as db

if TYPE_CHECKING:
    from pctrade.market.service import Market


# An order's states, as its row records them.
OPEN, FILLED, CANCELLED, EXPIRED = "open", "filled", "cancelled", "expired"


@dataclass(slots=True)
class _Known:
    """What this process knows of a contract as of ``book``'s last seq (see the module)."""

    book: OrderBook | None
    orders: dict[int, db.Row] = field(default_factory=dict)  # the open orders' rows
    holds: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # (hold, asset)
    left: dict[int, int] = field(default_factory=dict)  # hold → what is left of it
    bought: dict[tuple[str, int], int] = field(default_factory=dict)  # (day, account) → g


P = ParamSpec("P")


class _Raced(Exception):
    """A concurrent command of another contract took the caller's key first; its answer."""

    def __init__(self, answer: JsonDict) -> None:
        super().__init__("the key was taken by a concurrent command")
        self.answer = answer


def answers_races(method: Callable[P, JsonDict]) -> Callable[P, JsonDict]:
    """A venue command (block trades, auctions) built on ``Market._command`` directly:
    when it came second to its key on another contract, the first command's answer is
    its answer, as ``Market._do`` gives for orders."""

    @functools.wraps(method)
    def answered(*args: P.args, **kwargs: P.kwargs) -> JsonDict:
        try:
            return method(*args, **kwargs)
        except _Raced as raced:
            return raced.answer

    return answered


@dataclass(frozen=True, slots=True)
class _Internal(Command):
    """The fingerprint of an entry a market command makes (under a derived key)."""

    what: str
    contract: str
    seq: int
    n: int


def _text(value: str, what: str, limit: int) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= limit or not value.isprintable():
        raise ValidationError(
            f"{what} must be 1 to {limit} printable characters", code="bad_request"
        )
    return value


def _require_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be an integer", code="bad_request")
    return value


def _closed(message: str) -> Conflict:
    return Conflict(message, code="market_closed")


class _Run:
    """One command's transaction: the contract, its seq, the entries it writes."""

    def __init__(
        self, market: Market, uow: UnitOfWork, contract: db.Row, actor: str, seq: int
    ) -> None:
        self.m = market
        self.uow = uow
        self.contract = contract
        self.cid = int(contract["contract_id"])
        self.code = str(contract["code"])
        self.actor = actor
        self.seq = seq
        self.n = 0
        self.ts = format_ts(market.registry.clock())
        self.entries: list[int] = []
        self.trades: list[str] = []
        self.orders: dict[int, db.Row] = {}
        self.known = _Known(None)  # the contract's, once ``Market._book`` has it
        self.pending = db.Pending()
        # An order action's facts for surveillance, logged with the command (0016).
        self.action: dict[str, int | None] = {}
        self.logged = False  # the command took its seq (``log``); a replay takes none

    def flush(self) -> None:
        """Send the market rows written so far (before reading one of them back)."""
        self.pending.flush(self.uow)

    @property
    def wrote(self) -> bool:
        """Whether the command has sent a write (an entry, or market rows) yet."""
        return self.n > 0 or self.pending.sent

    # ---- entries ----------------------------------------------------------------------
    def entry(
        self, what: str, planner: Callable[[UnitOfWork, Party], Plan], beside: Any = None
    ) -> int:
        self.n += 1
        key = system_key("market", self.cid, self.seq, self.n)
        cmd = _Internal(what, self.code, self.seq, self.n)
        receipt = self.m.registry.journal.execute_in(
            self.uow, self.actor, key, cmd, planner, beside, fresh=True
        )
        self.entries.append(receipt.seq)
        return receipt.seq

    def order(self, order_id: int) -> db.Row:
        row = self.orders.get(order_id) or self.known.orders.get(order_id)
        if row is None:
            self.flush()
            row = db.order(self.uow, self.cid, order_id)
            if row is None:
                raise NotFound(f"no order {order_id} in {self.code}", code="order_not_found")
        self.orders[order_id] = row
        return row

    def hold_ids(self, order_id: int) -> list[tuple[int, int]]:
        """The order's holds (hold id, asset id), oldest first: known, or read once."""
        ids = self.known.holds.get(order_id)
        if ids is None:
            self.flush()
            ids = self.known.holds[order_id] = db.order_hold_ids(self.uow, self.cid, order_id)
        return ids

    def bought(self, days: Sequence[str], account_id: int) -> int:
        """What the account bought of the contract on ``days`` (T+n): known, or read once."""
        known = self.known.bought
        missing = [day for day in days if (day, account_id) not in known]
        if missing:
            self.flush()
            found = db.bought_on(self.uow, self.cid, missing, account_id)
            for day in missing:
                known[(day, account_id)] = found.get(day, 0)
        return sum(known[(day, account_id)] for day in days)

    def add_bought(self, day: str, account_id: int, quantity_g: int) -> None:
        self.pending.add_bought(self.cid, day, account_id, quantity_g)
        if (day, account_id) in self.known.bought:
            self.known.bought[(day, account_id)] += quantity_g

    def holds(self, *order_ids: int) -> list[Held]:
        """The orders' holds with something left, oldest first. What is left of each is
        known from the entries of this process since the book was built (``drew``; only
        the market moves an order's holds), or read once, all in one go."""
        ids = [h for order_id in order_ids for h in self.hold_ids(order_id)]
        left = self.known.left
        unknown = [h for h, _ in ids if h not in left]
        if unknown:
            found = db.hold_remaining(self.uow, unknown)
            left.update({h: found.get(h, 0) for h in unknown})
        return [Held(h, a, left[h]) for h, a in ids if left[h] > 0]

    def drew(self, plan: Plan) -> None:
        """Follow what an entry just written took from the holds (``holds``)."""
        left = self.known.left
        for change in plan.holds:
            if change.hold_id is not None and change.hold_id in left:
                left[change.hold_id] += change.delta

    def freeze(self, order: db.Row, asset_id: int, amount: int) -> None:
        account = account_of(self.uow, int(order["account_id"]))
        ref = f"{HOLD_PREFIX}{self.code}:{order['order_id']}"
        order_id = int(order["order_id"])
        ids = self.hold_ids(order_id)
        seq = self.entry(
            "hold",
            lambda uow, who: plan_freeze(account, asset_id, amount, FreezeReason.ORDER, ref),
        )
        self.pending.add_order_hold(self.cid, order_id, seq, asset_id)
        ids.append((seq, asset_id))
        self.known.left[seq] = amount

    def release(self, order: db.Row, amount: int | None) -> None:
        """Release ``amount`` of the order's holds, newest first (None: all of it)."""
        account_id = int(order["account_id"])
        for held in reversed(self.holds(int(order["order_id"]))):
            take = held.remaining if amount is None else min(amount, held.remaining)
            if take <= 0:
                break
            plan = plan_unfreeze(held.hold_id, account_id, held.asset_id, held.remaining, take)
            self.entry("release", _fixed(plan))
            self.drew(plan)
            if amount is not None:
                amount -= take

    def reservation(self, order: db.Row) -> int:
        remaining = int(order["quantity_g"]) - int(order["filled_g"])
        if order["state"] != OPEN or order.get("pool_id") is not None:
            return 0  # a pool sell holds nothing: the pool's holds deliver (``pool_sells``)
        if order["side"] == Side.BUY:
            return reserve_fen(int(order["price_fen_per_t"]), remaining, int(order["fee_bps"]))
        return remaining

    def set_order(self, order: db.Row, **values: Any) -> None:
        order.update(values)
        self.pending.update_order(self.cid, int(order["order_id"]), **values)

    def log(self, kind: str, key: str, fingerprint: str, result: JsonDict) -> None:
        """Log the command under the caller's key; the contract's last seq becomes its."""
        self.logged = True
        self.contract["last_seq"] = self.seq
        self.pending.update_contract(
            self.cid,
            last_seq=self.seq,
            last_order_id=int(self.contract["last_order_id"]),
            trading_day=self.contract["trading_day"],
            reference_price_fen_per_t=self.contract["reference_price_fen_per_t"],
        )
        self.pending.record_command(
            {
                "contract_id": self.cid,
                "seq": self.seq,
                "actor": self.actor,
                "idem_key": key,
                "kind": kind,
                "request_hash": fingerprint,
                "result": canonical_json(result),
                "ts": self.ts,
                **self.action,
            },
        )

    def note(self, book: OrderBook, order_id: int, side: str, price: int, qty: int) -> None:
        """Record the action's order, price and quantity, and the own side's touch now."""
        touch = book.best_bid() if side == Side.BUY else book.best_ask()
        self.action = {
            "order_id": order_id,
            "price_fen_per_t": price,
            "quantity_g": qty,
            "touch_fen_per_t": touch,
        }


def _replay(prior: db.Row, key: str, fingerprint: str) -> JsonDict:
    """The answer to a command under a key a command was logged under already."""
    if prior["request_hash"] != fingerprint:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was already used for a different request"
        )
    return {**json.loads(prior["result"]), "replayed": True}


def _fixed(plan: Plan) -> Callable[[UnitOfWork, Party], Plan]:
    """A planner for an entry planned already (the contract's lock keeps its reads true)."""

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        return plan

    return planner
