"""A new operation type, added without touching the ledger: the market's ``settle_trade``.

This file is the worked example of ``docs/new-operation-type.md``, kept honest by
running it. A toy ``market`` context settles a trade delivery-versus-payment: one entry
draws down the buyer's cash hold and the seller's credit hold, each in part, and moves
the cash to the seller and the credits to the buyer. Each section below is what would
be one module of ``src/pctrade/market/``; none of it edits a file under
``src/pctrade/ledger/``: the context uses the ledger's public seams (``Plan``,
``HoldChange``, ``Journal.execute``, ``OperationType``) and registers its op type by
being listed with the shipped contexts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

import pytest
from registry_world import BATCH, World, build_world, snapshot

from pctrade.bootstrap.contexts import CONTEXTS
from pctrade.kernel.errors import Forbidden, IdempotencyConflict, NotFound, ValidationError
from pctrade.kernel.units import require_positive
from pctrade.ledger import access
from pctrade.ledger import commands as c
from pctrade.ledger.commands import Command
from pctrade.ledger.extensions import Context, OperationType, replay_for
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.journal import GENESIS_HASH, EntryHeader, entry_hash, opened_digest
from pctrade.ledger.model import (
    CASH_ASSET,
    Account,
    AccountId,
    AssetId,
    Batch,
    Denomination,
    HolderType,
    Party,
    Role,
    State,
)
from pctrade.ledger.operations import (
    FreezeReason,
    HoldChange,
    OpType,
    Plan,
    checked_text,
    holds_payload,
    plan_cash,
    plan_freeze,
    plan_genesis,
    plan_issue,
    plan_open_accounts,
)
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.postings import Posting, Postings
from pctrade.ledger.queries import verify
from pctrade.ledger.service import AUTHORITIES, Receipt, Registry
from pctrade.ledger.sql.store import SqlStore

# ---- market/model.py: the op type and the pure planner ------------------------------


class MarketOp(StrEnum):
    """The market's op types: the strings the journal records, never renamed."""

    SETTLE_TRADE = "settle_trade"


@dataclass(frozen=True, slots=True)
class HeldSide:
    """One side's hold, as the planner needs it (read from the store by the service)."""

    hold_id: int
    account_id: AccountId
    asset_id: AssetId
    remaining: int


def plan_settle_trade(
    buyer: HeldSide, seller: HeldSide, cash_fen: int, credit_g: int, trade: str
) -> Plan:
    """Pay ``cash_fen`` out of the buyer's cash hold, deliver ``credit_g`` out of the
    seller's credit hold, in one entry: both move, or neither."""
    require_positive(cash_fen, "price")
    require_positive(credit_g, "quantity")
    if buyer.asset_id != CASH_ASSET or seller.asset_id == CASH_ASSET:
        raise ValidationError("the buyer holds cash, the seller credits", code="bad_asset")
    if buyer.account_id == seller.account_id:
        raise ValidationError("a trade needs two accounts", code="same_account")
    if cash_fen > buyer.remaining or credit_g > seller.remaining:
        raise ValidationError("a hold has less left than the trade", code="exceeds_hold")
    postings = Postings.of(
        [
            Posting(buyer.account_id, CASH_ASSET, State.FROZEN, -cash_fen),
            Posting(seller.account_id, CASH_ASSET, State.AVAILABLE, cash_fen),
            Posting(seller.account_id, seller.asset_id, State.FROZEN, -credit_g),
            Posting(buyer.account_id, seller.asset_id, State.AVAILABLE, credit_g),
        ]
    )
    holds = (
        HoldChange(buyer.hold_id, buyer.account_id, CASH_ASSET, -cash_fen),
        HoldChange(seller.hold_id, seller.account_id, seller.asset_id, -credit_g),
    )
    payload = {
        "trade": checked_text(trade, "trade", 64),
        "cash_fen": cash_fen,
        "credit_g": credit_g,
        "holds": holds_payload(holds),  # replay follows holds from the journal alone
    }
    return Plan(MarketOp.SETTLE_TRADE, payload, postings=postings, holds=holds)


# ---- market/commands.py: what a caller asks -----------------------------------------


@dataclass(frozen=True, slots=True)
class SettleTrade(Command):
    """Settle a matched trade; the fingerprint (class name and fields) binds the key."""

    buyer_hold: int
    seller_hold: int
    cash_fen: int
    credit_g: int
    trade: str


# ---- market/service.py: the use case, through the one write path ---------------------


def _side(uow: UnitOfWork, hold_id: int) -> HeldSide:
    hold = uow.hold(hold_id)
    if hold is None:
        raise NotFound(f"no hold {hold_id}", code="unknown_hold")
    return HeldSide(hold.hold_id, hold.account_id, hold.asset_id, hold.remaining)


def settle_trade(registry: Registry, actor: str, key: str, cmd: SettleTrade) -> Receipt:
    """The market operator (here: an authority) settles a trade, once per key."""

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        access.require_role(who, AUTHORITIES, "settle trades")
        buyer, seller = _side(uow, cmd.buyer_hold), _side(uow, cmd.seller_hold)
        return plan_settle_trade(buyer, seller, cmd.cash_fen, cmd.credit_g, cmd.trade)

    return registry.journal.execute(actor, key, cmd, planner, lean=True)


# ---- market/invariants.py and market/context.py: what replay checks, registered -----


def check_settlement(entry: StoredEntry) -> Iterator[Problem]:
    """The cash paid and the credits delivered are the amounts the payload states."""
    p = entry.header.payload
    paid = sum(x.delta for x in entry.postings if x.asset_id == CASH_ASSET and x.delta > 0)
    delivered = sum(x.delta for x in entry.postings if x.asset_id != CASH_ASSET and x.delta > 0)
    if (paid, delivered) != (p.get("cash_fen"), p.get("credit_g")):
        yield Problem("market_settlement_mismatch", "moved other amounts", entry.header.seq)


# The shipped market context (``pctrade.market``) is named "market" and settles with
# ``trade_settle``; the toy takes its own name so that both can be registered at once.
MARKET = Context(
    "toy_market", operations=(OperationType(MarketOp.SETTLE_TRADE, check=check_settlement),)
)
APP_CONTEXTS = (*CONTEXTS, MARKET)  # bootstrap/contexts.py: one more name in the list


# ---- unit tests: the planner and the replay check, no database -----------------------

ALICE = Account(1000, HolderType.INDIVIDUAL, "alice")
BOB = Account(1001, HolderType.INDIVIDUAL, "bob")
CREDIT = 1  # the batch the history below issues
TS = "2026-01-01T00:00:00.000000Z"


def _history() -> list[Plan]:
    """Alice holds cash and freezes 500 fen (hold 5); Bob freezes 40 g (hold 6)."""
    batch = Batch(CREDIT, Denomination.parse(BATCH), 100, 0)
    parties = [Party("alice", Role.INDIVIDUAL, "A"), Party("bob", Role.INDIVIDUAL, "B")]
    return [
        plan_genesis(),
        plan_open_accounts(parties, 1000),
        plan_issue(batch, [(1001, 100)]),
        plan_cash(OpType.DEPOSIT, ALICE, 1_000, "bank-1"),
        plan_freeze(ALICE, CASH_ASSET, 500, FreezeReason.ORDER, "bid-1"),
        plan_freeze(BOB, CREDIT, 40, FreezeReason.ORDER, "ask-1"),
    ]


def _chain(plans: list[Plan]) -> Iterator[StoredEntry]:
    """The plans hash-chained into stored entries, as the store would write them."""
    prev = GENESIS_HASH
    for seq, plan in enumerate(plans, start=1):
        header = EntryHeader(seq, plan.op_type, "registry", f"k{seq}", "r", TS, plan.payload)
        opened = opened_digest(plan.parties, plan.accounts)
        h = entry_hash(prev, header, plan.postings.digest(), opened)
        yield StoredEntry(header, prev, h, plan.postings, plan.parties, plan.accounts)
        prev = h


def _problems(plans: list[Plan], contexts: Sequence[Context]) -> list[str]:
    replay = replay_for(contexts)
    for entry in _chain(plans):
        replay.feed(entry)
    return [p.code for p in replay.problems]


BUYER = HeldSide(5, 1000, CASH_ASSET, 500)
SELLER = HeldSide(6, 1001, CREDIT, 40)


def test_the_planner_draws_down_two_holds_in_one_entry() -> None:
    plan = plan_settle_trade(BUYER, SELLER, 300, 8, "t-1")
    assert plan.op_type == MarketOp.SETTLE_TRADE
    assert [(h.hold_id, h.delta) for h in plan.holds] == [(5, -300), (6, -8)]
    assert plan.payload["holds"] == holds_payload(plan.holds)
    with pytest.raises(ValidationError, match="less left"):
        plan_settle_trade(BUYER, SELLER, 501, 8, "t-1")
    with pytest.raises(ValidationError, match="buyer holds cash"):
        plan_settle_trade(SELLER, BUYER, 8, 300, "t-1")


def test_replay_runs_the_registered_check_on_settlements() -> None:
    honest = plan_settle_trade(BUYER, SELLER, 300, 8, "t-1")
    forged = Plan(
        MarketOp.SETTLE_TRADE,
        {**honest.payload, "credit_g": 80},
        honest.postings,
        holds=honest.holds,
    )
    assert _problems([*_history(), honest], APP_CONTEXTS) == []
    assert _problems([*_history(), forged], APP_CONTEXTS) == ["market_settlement_mismatch"]
    # Nobody registered it, nobody checks it: the ledger's own replay finds nothing.
    assert _problems([*_history(), forged], CONTEXTS) == []


# ---- integration tests: the use case on SQLite and PostgreSQL -------------------------


WORLD_CREDIT = 1  # the asset id of registry_world's one batch


def _orders(w: World) -> tuple[int, int]:
    """Alice bids with 3,000 fen held; steel asks with 200 g held."""
    bid = w.reg.freeze("alice", "bid", c.Freeze(w.alice, "CNY", 3_000, "pledge", "bid-1"))
    ask = w.reg.freeze("steel", "ask", c.Freeze(w.steel, BATCH, 200, "pledge", "ask-1"))
    return bid.seq, ask.seq


def test_a_settlement_is_one_entry_replayed_by_its_key_and_verified(
    any_store: SqlStore,
) -> None:
    w = build_world(any_store)
    bid, ask = _orders(w)
    cmd = SettleTrade(bid, ask, 1_200, 80, "t-1")
    first = settle_trade(w.reg, "reg", "settle-t-1", cmd)
    again = settle_trade(w.reg, "reg", "settle-t-1", cmd)
    assert (again.seq, again.replayed) == (first.seq, True)
    with pytest.raises(IdempotencyConflict):
        settle_trade(w.reg, "reg", "settle-t-1", SettleTrade(bid, ask, 1_200, 81, "t-1"))
    _, balances, holds = snapshot(any_store)
    assert holds[bid] == 1_800 and holds[ask] == 120
    assert balances[(w.steel, CASH_ASSET, int(State.AVAILABLE))] == 1_200
    assert balances[(w.alice, WORLD_CREDIT, int(State.AVAILABLE))] == 1_080
    assert verify(any_store, APP_CONTEXTS).ok


def test_a_refused_settlement_writes_nothing(any_store: SqlStore) -> None:
    w = build_world(any_store)
    bid, ask = _orders(w)
    before = snapshot(any_store)
    with pytest.raises(Forbidden):
        settle_trade(w.reg, "alice", "s-1", SettleTrade(bid, ask, 1_200, 80, "t-1"))
    with pytest.raises(ValidationError, match="less left"):
        settle_trade(w.reg, "reg", "s-2", SettleTrade(bid, ask, 3_001, 80, "t-2"))
    assert snapshot(any_store) == before
