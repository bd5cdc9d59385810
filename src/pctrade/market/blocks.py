"""Block trades (大宗协议交易) through the registry: the pure desk's events made real.

    blocks = BlockTrades(app.market)
    p = blocks.propose("steel", "k1", ProposeBlock(code, steel_acct, "fund", "buy",
                                                   100_000 * T, 6_500, 600))
    blocks.accept("fund", "k2", AcceptBlock(code, p["proposal_id"], fund_acct))
    blocks.decline(...) / blocks.withdraw(...) / blocks.lapse(...)

Each command runs in the market's command frame (``Market._command``): one transaction
under the contract's lock, the idempotency key answered from the command log, the
contract's next ``seq`` — which is also a new proposal's id. The desk
(``market.block``) is rebuilt from the contract's open proposals in the registry (and
the one answered) for each command, and any open proposal whose expiry has come is lapsed
first, its hold released. Then:

- ``propose``: the day is a trading day not yet closed (the calendar of ``[trading]``;
  the session and every figure are the desk's, from ``[block_trades]`` and
  ``[trading]``), the proposer is eligible (``[eligibility]``, as for an order), a buy
  is within the position limit, and the proposer's side is frozen exactly as the
  desk's ``Proposed.hold`` says (reason ``order``, reference ``blk:<contract>:<id>``):
  the cash and the highest fee of a buy, the credits of a sell (oldest batches first,
  T+n respected);
- ``accept``: the acceptor (the named counterparty) is checked the same way, its side
  frozen (``BlockAgreed.acceptor_hold``), and the trade settles in ONE ``trade_settle``
  entry (``venue_model`` says why not a new op type) that consumes both holds exactly;
  its ``market_trades`` row has ``mode = 'block'``: it counts in volume, never in the
  close;
- ``decline`` (the counterparty), ``withdraw`` (the proposer), ``lapse`` (the
  operator's scheduler, or any block command once the expiry has come): the proposer's
  hold is released exactly.

Every refusal of the desk raises its ``BlockRefusal`` code, and nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pctrade.kernel.errors import Forbidden, IntegrityError, NotFound, ValidationError
from pctrade.ledger import access
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import CASH_ASSET, Account, Party
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import AUTHORITIES, account_of, require_holder
from pctrade.ledger.write import RowsBeside, acting_party
from pctrade.market import pool_sells
from pctrade.market import venue_commands as vc
from pctrade.market.block import (
    Accept,
    BlockAgreed,
    BlockDesk,
    BlockParams,
    Decline,
    Hold,
    Lapse,
    Proposal,
    ProposalEnded,
    Propose,
    Proposed,
    Rejected,
    Withdraw,
    refusal_error,
)
from pctrade.market.block.messages import BlockEvent, Outcome
from pctrade.market.engine import Side
from pctrade.market.frame import _fixed, _Run, answers_races
from pctrade.market.model import Trade, cash_fen, plan_trade_settle
from pctrade.market.pool_seller import BLOCK, PoolSaleFacts
from pctrade.market.sql import store as db
from pctrade.market.sql import venues as vdb
from pctrade.market.venues import (
    as_int,
    freeze,
    held,
    now_s,
    open_day,
    owner_of,
    release,
    require_eligible,
    require_position,
)
from pctrade.rules import RuleSet
from pctrade.rules.model import Trading

if TYPE_CHECKING:
    from pctrade.market.service import Market

EXPIRY_S_MAX = 86_400
E = TypeVar("E")


class BlockTrades:
    """Proposals, answers and settlement of block trades, over the market's frame."""

    def __init__(self, market: Market) -> None:
        self.m = market

    # ---- commands ------------------------------------------------------------------
    @answers_races
    def propose(self, actor: str, key: str, cmd: vc.ProposeBlock) -> JsonDict:
        with self.m._command(actor, key, cmd.contract, cmd) as (run, replay):
            if replay is not None:
                return replay
            account, owner = self._account(run, cmd.account_id)
            try:
                side = Side(cmd.side)
            except ValueError as exc:
                raise ValidationError(f"unknown side {cmd.side!r}", code="bad_enum") from exc
            expires_in = as_int(cmd.expires_in_s, "expiry")
            if not -EXPIRY_S_MAX <= expires_in <= EXPIRY_S_MAX:  # the desk judges the rest
                raise ValidationError("a proposal stands at most a day", code="bad_request")
            if not isinstance(cmd.counterparty, str) or run.uow.party(cmd.counterparty) is None:
                raise NotFound(f"no party {cmd.counterparty!r}", code="unknown_party")
            pool = None if cmd.pool is None else self._pool_seller(run, cmd, side, account)
            rule_set, trading, day, desk, at = self._start(run, None)
            propose = Propose(
                run.seq,
                owner.party_id,
                cmd.counterparty,
                side,
                as_int(cmd.quantity_g, "quantity"),
                as_int(cmd.price_fen_per_t, "price"),
                at + expires_in,
                at,
            )
            event = _one(desk.apply(propose), Proposed)
            hold = event.hold
            if pool is None:
                cover = (event.hold, event.proposal_id, event.quantity_g)
                self._cover(run, rule_set, trading, day, owner, account, *cover)
            else:  # nothing frozen: the pool's holds deliver on acceptance (``pool_sells``)
                require_eligible(run, owner, rule_set, day, None)
                pool_sells.require_floor(self.m, run, pool, event.price_fen_per_t)
                pool_sells.require_free(self.m, run, pool, event.quantity_g)
                pool_sells.require_of_contract(self.m, run, pool)
                hold = Hold(event.hold.party, 0, 0)
            vdb.add_proposal(
                run.uow,
                {
                    "contract_id": run.cid,
                    "proposal_id": event.proposal_id,
                    "proposer": owner.party_id,
                    "proposer_account": account.account_id,
                    "counterparty": event.counterparty,
                    "acceptor_account": None,
                    "side": str(side),
                    "quantity_g": event.quantity_g,
                    "price_fen_per_t": event.price_fen_per_t,
                    "expires_at_s": event.expires_at_s,
                    "proposed_at_s": at,
                    "hold_cash_fen": hold.cash_fen,
                    "hold_credits_g": hold.credits_g,
                    "outcome": None,
                    "ended_seq": None,
                    "trade_id": None,
                    "day": day.isoformat(),
                    "pool_id": pool,
                },
            )
            extra = {"expires_at_s": event.expires_at_s}
            return self._answer(run, key, "block_propose", cmd, event.proposal_id, None, extra)

    @answers_races
    def accept(self, actor: str, key: str, cmd: vc.AcceptBlock) -> JsonDict:
        with self.m._command(actor, key, cmd.contract, cmd) as (run, replay):
            if replay is not None:
                return replay
            account, owner = self._account(run, cmd.account_id)
            pid = as_int(cmd.proposal_id, "proposal id")
            rule_set, trading, day, desk, at = self._start(run, pid)
            event = _one(desk.apply(Accept(pid, owner.party_id, at)), BlockAgreed)
            cover = (event.acceptor_hold, pid, event.quantity_g)
            self._cover(run, rule_set, trading, day, owner, account, *cover)
            row = vdb.proposal(run.uow, run.cid, pid)
            if row is None:  # the desk knew it, so the registry does
                raise IntegrityError(f"proposal {pid} is not stored", code="block_rebuild")
            proposer_account = int(row["proposer_account"])
            if row["side"] == Side.BUY:
                buyer, seller = proposer_account, account.account_id
            else:
                buyer, seller = account.account_id, proposer_account
            pool = row["pool_id"]
            trade_id = self._settle(
                run, rule_set, event, pid, (buyer, seller), day.isoformat(), pool
            )
            vdb.update_proposal(
                run.uow,
                run.cid,
                pid,
                outcome=str(Outcome.AGREED),
                ended_seq=run.seq,
                acceptor_account=account.account_id,
                trade_id=trade_id,
            )
            return self._answer(run, key, "block_accept", cmd, pid, Outcome.AGREED, {})

    def decline(self, actor: str, key: str, cmd: vc.DeclineBlock) -> JsonDict:
        return self._end(actor, key, cmd, cmd.proposal_id, "block_decline")

    def withdraw(self, actor: str, key: str, cmd: vc.WithdrawBlock) -> JsonDict:
        return self._end(actor, key, cmd, cmd.proposal_id, "block_withdraw")

    @answers_races
    def lapse(self, actor: str, key: str, cmd: vc.LapseBlocks) -> JsonDict:
        """End every proposal whose expiry has come (the operator's scheduler)."""
        with self.m._command(actor, key, cmd.contract, cmd) as (run, replay):
            if replay is not None:
                return replay
            access.require_role(acting_party(run.uow, actor), AUTHORITIES, "lapse proposals")
            ended = lapse_due(run, desk_of(run, None, None), now_s(self.m))
            result: JsonDict = {
                "contract": run.code,
                "seq": run.seq,
                "lapsed": ended,
                "entries": run.entries,
            }
            run.log("block_lapse", key, cmd.fingerprint(), result)
            return {**result, "replayed": False}

    # ---- inside --------------------------------------------------------------------
    def _account(self, run: _Run, account_id: Any) -> tuple[Account, Party]:
        who = acting_party(run.uow, run.actor)
        account = account_of(run.uow, as_int(account_id, "account"))
        require_holder(run.uow, who, account)
        return account, owner_of(run.uow, account)

    def _start(self, run: _Run, pid: int | None) -> tuple[RuleSet, Trading, Any, BlockDesk, int]:
        """Today's rules, the desk rebuilt, and what is due lapsed."""
        rule_set, trading, day = open_day(self.m, run)
        desk = desk_of(run, self._params(run, rule_set, trading), pid)
        at = now_s(self.m)
        lapse_due(run, desk, at)
        return rule_set, trading, day, desk, at

    def _params(self, run: _Run, rule_set: RuleSet, trading: Trading) -> BlockParams:
        blocks = rule_set.require_block_trades()
        fees = rule_set.fees
        return BlockParams(
            price_step_fen_per_t=trading.price_step_fen_per_t,
            quantity_step_g=trading.quantity_step_g,
            block_quantity_min_g=trading.block_quantity_min_g,
            block_price_limit_bps=trading.block_price_limit_bps,
            reference_price_fen_per_t=run.contract["reference_price_fen_per_t"],
            sessions=tuple((s.open_s, s.close_s) for s in blocks.sessions),
            proposal_expiry_max_s=blocks.proposal_expiry_max_s,
            fee_bps=0 if fees is None else fees.trade_fee_bps or 0,
        )

    @answers_races
    def _end(self, actor: str, key: str, cmd: Any, proposal_id: Any, kind: str) -> JsonDict:
        with self.m._command(actor, key, cmd.contract, cmd) as (run, replay):
            if replay is not None:
                return replay
            pid = as_int(proposal_id, "proposal id")
            _rules, _trading, _day, desk, at = self._start(run, pid)
            party = self._party_for(run, pid, withdraw=kind == "block_withdraw")
            command = (Withdraw if kind == "block_withdraw" else Decline)(pid, party, at)
            event = _one(desk.apply(command), ProposalEnded)
            _ended(run, event)
            return self._answer(run, key, kind, cmd, pid, event.outcome, {})

    def _party_for(self, run: _Run, pid: int, *, withdraw: bool) -> str:
        """The proposer (or counterparty) when the actor may act for it, else the actor."""
        row = vdb.proposal(run.uow, run.cid, pid) if 0 < pid < 2**63 else None
        if row is None:
            return run.actor
        if not withdraw:
            return run.actor
        who = acting_party(run.uow, run.actor)
        try:
            require_holder(run.uow, who, account_of(run.uow, int(row["proposer_account"])))
        except Forbidden:
            return run.actor
        return str(row["proposer"])

    def _cover(
        self,
        run: _Run,
        rule_set: RuleSet,
        trading: Trading,
        day: Any,
        owner: Party,
        account: Account,
        hold: Hold,
        pid: int,
        quantity_g: int,
    ) -> None:
        """Check the party and freeze its side, exactly as the desk's hold says."""
        credits = hold.credits_g > 0
        held_g = self.m.holdings.credits(run, account)[1] if credits else None
        require_eligible(run, owner, rule_set, day, held_g)
        if credits:
            for asset_id, grams in self.m.holdings.pick(
                run, account, hold.credits_g, None, trading
            ):
                freeze(run, vdb.PROPOSAL, pid, account, asset_id, grams)
        else:
            # An accepted proposal is already among the acceptor's open buys (it is the
            # buyer named in it): only a new proposal adds to them.
            stored = vdb.proposal(run.uow, run.cid, pid) is not None
            instrument = str(run.contract["instrument"])
            require_position(run.uow, rule_set, owner, instrument, 0 if stored else quantity_g)
            self.m.holdings.require_cash(run, account, hold.cash_fen)
            freeze(run, vdb.PROPOSAL, pid, account, CASH_ASSET, hold.cash_fen)

    def _pool_seller(self, run: _Run, cmd: vc.ProposeBlock, side: Side, account: Account) -> str:
        """A pool's block sell: its pool, if the actor is its platform on its account."""
        pool = pool_sells.pool_id_of(cmd.pool)
        if side != Side.SELL:
            raise ValidationError("a pool only sells", code="pool_sells_only")
        pool_sells.require_platform(self.m, run, pool, account)
        return pool

    def _settle(
        self,
        run: _Run,
        rule_set: RuleSet,
        event: BlockAgreed,
        pid: int,
        parties: tuple[int, int],
        day: str,
        pool: str | None,
    ) -> str:
        """The agreed trade in one entry: ``trade_settle``, or a pool's ``pool_settle``."""
        buyer, seller = parties
        fees = rule_set.fees
        fee_bps = 0 if fees is None else fees.trade_fee_bps or 0
        trade_id = f"{run.code}-{run.seq}-1"
        trade = Trade(
            trade_id, run.code, event.price_fen_per_t, event.quantity_g, fee_bps, buyer, seller
        )
        holds = held(run, vdb.PROPOSAL, pid)
        cash_holds = [h for h in holds if h.asset_id == CASH_ASSET]
        credit_holds = [h for h in holds if h.asset_id != CASH_ASSET]

        def beside(uow: UnitOfWork, entry: Any) -> None:
            p = entry.header.payload
            db.add_trade(
                uow,
                {
                    "trade_id": trade_id,
                    "entry_seq": entry.seq,
                    "contract_id": run.cid,
                    "day": day,
                    "seq": run.seq,
                    "buy_order_id": None,
                    "sell_order_id": None,
                    "taker_side": "buy" if event.acceptor_hold.cash_fen else "sell",
                    "buyer_account": buyer,
                    "seller_account": seller,
                    "price_fen_per_t": trade.price_fen_per_t,
                    "quantity_g": trade.quantity_g,
                    "cash_fen": cash_fen(trade.price_fen_per_t, trade.quantity_g),
                    "buyer_fee_fen": p["buyer_fee_fen"],
                    "seller_fee_fen": p["seller_fee_fen"],
                    "ts": run.ts,
                    "mode": "block",
                    "ref": f"block:{pid}",
                },
            )

        if pool is None:
            plan = plan_trade_settle(trade, cash_holds, credit_holds, 0)
            run.entry("settle", _fixed(plan), RowsBeside(beside))
        else:  # the pool's holds deliver, the acceptor's cash hold pays (``pool_sells``)
            sale = PoolSaleFacts(
                pool, trade_id, BLOCK, trade.price_fen_per_t, trade.quantity_g, buyer, fee_bps
            )
            cash = [(h.hold_id, h.remaining) for h in cash_holds]
            pool_sells.settle(self.m, run, sale, cash, 0, beside)
        run.trades.append(trade_id)
        db.add_bought(run.uow, run.cid, day, buyer, trade.quantity_g)
        return trade_id

    def _answer(
        self,
        run: _Run,
        key: str,
        kind: str,
        cmd: Any,
        pid: int,
        outcome: Outcome | None,
        extra: JsonDict,
    ) -> JsonDict:
        result: JsonDict = {
            "contract": run.code,
            "seq": run.seq,
            "proposal_id": pid,
            "state": "open" if outcome is None else str(outcome),
            "trades": run.trades,
            "entries": run.entries,
            **extra,
        }
        run.log(kind, key, cmd.fingerprint(), result)
        return {**result, "replayed": False}


def desk_of(run: _Run, params: BlockParams | None, pid: int | None) -> BlockDesk:
    """The contract's desk with its open proposals and the one answered (ended ones are
    kept in the registry; the desk needs one only to say it is no longer open)."""
    rows = vdb.proposals_of(run.uow, run.cid, open_only=True)
    answered = vdb.proposal(run.uow, run.cid, pid) if pid and 0 < pid < 2**63 else None
    if answered is not None and answered["outcome"] is not None:
        rows.append(answered)
    proposals = [
        Proposal(
            int(r["proposal_id"]),
            r["proposer"],
            r["counterparty"],
            Side(r["side"]),
            int(r["quantity_g"]),
            int(r["price_fen_per_t"]),
            int(r["expires_at_s"]),
            int(r["proposed_at_s"]),
            Hold(r["proposer"], int(r["hold_cash_fen"]), int(r["hold_credits_g"])),
            None if r["outcome"] is None else Outcome(r["outcome"]),
        )
        for r in rows
    ]
    if params is None:  # lapsing needs no figures: any valid ones will do
        params = BlockParams(1, 1_000_000, 1, 0, None, ((0, 86_400),), 1)
    return BlockDesk(params, proposals=proposals)


def lapse_due(run: _Run, desk: BlockDesk, at_s: int) -> list[int]:
    """Lapse the desk's open proposals whose expiry has come by ``at_s``, each one's hold
    released exactly; their ids. (The close of the day lapses what is left of it.)"""
    ended = []
    for any_event in desk.apply(Lapse(at_s)):
        event = _one([any_event], ProposalEnded)
        _ended(run, event)
        ended.append(event.proposal_id)
    return ended


def _ended(run: _Run, event: ProposalEnded) -> None:
    release(run, vdb.PROPOSAL, event.proposal_id)
    vdb.update_proposal(
        run.uow, run.cid, event.proposal_id, outcome=str(event.outcome), ended_seq=run.seq
    )


def _one(events: list[BlockEvent], kind: type[E]) -> E:
    """The desk's one event of ``kind``; a refusal raised with its code."""
    event = events[0]
    if isinstance(event, Rejected):
        raise refusal_error(event.code, f"block trade: {event.code}")
    if not isinstance(event, kind):
        raise IntegrityError(f"the desk answered {type(event).__name__}", code="block_desk")
    return event
