"""What the block desk's and the auctions' services share with the order book's.

They run inside the market's command frame (``Market._command``: one transaction under
the contract's lock, the idempotency key answered from the command log, the contract's
next ``seq``; ``_Run.entry`` keys each registry entry ``market/<contract>/<seq>/<n>``),
so a proposal, a bid or a clearing is sequenced with the contract's orders. What is
added here: the trading day without the book's sessions (each venue has its own), the
eligibility and position-limit checks every buy and sell meets, and holds that cover a
proposal, an offer or a bid (``venue_model``'s references) instead of an order.

Position limits (``[positions]``, ``surveillance.positions``): a buy is checked with
what the party holds of the counted instruments in all its accounts (available and
frozen), what its open buys would still bring — open buy orders of the book, open
block proposals on the buying side, open bids — and the new quantity. A key emitter's
limit is its allocation plus the rule's margin; the registry does not record
allocations yet (compliance is not built), so an emitter's allocation is taken as 0.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from pctrade.identity.queries import facts_of
from pctrade.kernel.errors import Conflict, NotFound, ValidationError
from pctrade.kernel.limits import INT64_MAX
from pctrade.ledger.model import Account, Party, Role, State
from pctrade.ledger.operations import FreezeReason, Plan, plan_freeze, plan_unfreeze
from pctrade.ledger.ports import UnitOfWork
from pctrade.market.eligibility import decide
from pctrade.market.model import Held, local_time
from pctrade.market.sql import store as db
from pctrade.market.sql import venues as vdb
from pctrade.market.surveillance import require_within_position_limit
from pctrade.rules import RuleSet
from pctrade.rules.model import Trading

if TYPE_CHECKING:
    from pctrade.market.frame import _Run
    from pctrade.market.service import Market

VENUE_PREFIX = {vdb.PROPOSAL: "blk:", vdb.OFFER: "auc:", vdb.BID: "bid:"}


def now_s(market: Market) -> int:
    return int(market.registry.clock().timestamp())


def open_day(market: Market, run: _Run) -> tuple[RuleSet, Trading, date]:
    """The rules of today, if it is a trading day the contract has not closed."""
    day, _second = local_time(market.registry.clock())
    rule_set = market.rules.in_force(str(run.contract["market"]), day)
    trading = market._trading(rule_set, str(run.contract["instrument"]))
    if not trading.is_trading_day(day):
        raise Conflict(f"{day} is not a trading day under {rule_set.version}", code="market_closed")
    open_ = run.contract["trading_day"]
    if open_ is not None and open_ != day.isoformat():
        raise Conflict(f"{run.code}'s day {open_} is not closed yet", code="day_not_closed")
    if db.close_of(run.uow, run.cid, day.isoformat()) is not None:
        raise Conflict(f"{run.code} closed {day} already", code="market_closed")
    run.contract["trading_day"] = day.isoformat()
    return rule_set, trading, day


def owner_of(uow: UnitOfWork, account: Account) -> Party:
    owner = uow.party(account.owner)
    if owner is None:
        raise NotFound(f"no party {account.owner}", code="unknown_party")
    return owner


def require_eligible(
    run: _Run, owner: Party, rule_set: RuleSet, day: date, held_g: int | None
) -> None:
    """The order book's eligibility decision, for a proposal, an acceptance or a bid."""
    eligibility = rule_set.eligibility
    if eligibility is None:
        raise Conflict(f"rule set {rule_set.version} states no eligibility", code="no_rule")
    facts = (
        facts_of(run.uow, owner.party_id)
        if owner.role in (Role.INDIVIDUAL, Role.INSTITUTION)
        else None
    )
    decide(
        owner.party_id,
        owner.role,
        facts,
        eligibility.for_instrument(str(run.contract["instrument"])),
        rule_set=rule_set.version,
        digest=rule_set.digest,
        day=day,
        held_g=held_g,
    ).require()


def _counted_assets(uow: UnitOfWork, instruments: tuple[str, ...]) -> set[int]:
    return {b.asset_id for b in uow.batches() if str(b.denomination.instrument) in instruments}


def _counted_contracts(uow: UnitOfWork, instruments: tuple[str, ...]) -> set[int]:
    return {int(c["contract_id"]) for c in db.contracts_all(uow) if c["instrument"] in instruments}


def open_buys_g(uow: UnitOfWork, party: str, contracts: set[int]) -> int:
    """What the party's open buys would still bring: orders, proposals, bids."""
    ids = sorted(contracts)
    total = vdb.open_buy_orders_g(uow, party, ids) + vdb.open_bids_g(uow, party, ids)
    for cid in ids:
        for p in vdb.proposals_of(uow, cid, open_only=True):
            if (p["proposer"] if p["side"] == "buy" else p["counterparty"]) == party:
                total += int(p["quantity_g"])
    return total


def holding_g(uow: UnitOfWork, party: str, assets: set[int]) -> int:
    total = 0
    for account in uow.accounts_of(party):
        for asset_id, state, amount in uow.balances_of(account.account_id):
            if asset_id in assets and state in (State.AVAILABLE, State.FROZEN):
                total += amount
    return total


def require_position(
    uow: UnitOfWork, rule_set: RuleSet, owner: Party, instrument: str, quantity_g: int
) -> None:
    """A buy of ``quantity_g`` must keep the party within ``[positions]`` (module doc)."""
    positions = rule_set.positions
    if positions is None or instrument not in positions.instruments:
        return
    require_within_position_limit(
        rule_set,
        holding_g=holding_g(uow, owner.party_id, _counted_assets(uow, positions.instruments)),
        open_buy_g=open_buys_g(uow, owner.party_id, _counted_contracts(uow, positions.instruments)),
        order_g=quantity_g,
        allocation_g=0 if owner.role == Role.EMITTER else None,
    )


# ---- holds covering a proposal, an offer or a bid -------------------------------------
def _fixed(plan: Plan) -> Callable[[UnitOfWork, Party], Plan]:
    def planner(uow: UnitOfWork, who: Party) -> Plan:
        return plan

    return planner


def freeze(
    run: _Run, venue: str, ref_id: int, account: Account, asset_id: int, amount: int
) -> None:
    if amount <= 0:
        raise ValidationError("nothing to freeze", code="bad_quantity")
    ref = f"{VENUE_PREFIX[venue]}{run.code}:{ref_id}"
    plan = plan_freeze(account, asset_id, amount, FreezeReason.ORDER, ref)
    seq = run.entry("hold", _fixed(plan))
    vdb.add_hold(
        run.uow,
        {
            "hold_id": seq,
            "contract_id": run.cid,
            "venue": venue,
            "ref_id": ref_id,
            "account_id": account.account_id,
            "asset_id": asset_id,
        },
    )


def held(run: _Run, venue: str, ref_id: int) -> list[Held]:
    """What still covers a proposal, offer or bid, oldest hold first."""
    out = []
    for row in vdb.holds_of(run.uow, run.cid, venue, ref_id):
        hold = run.uow.hold(int(row["hold_id"]))
        if hold is not None and hold.remaining > 0:
            out.append(Held(int(row["hold_id"]), int(row["asset_id"]), hold.remaining))
    return out


def release(run: _Run, venue: str, ref_id: int, amount: int | None = None) -> int:
    """Release ``amount`` of what covers it, newest hold first (None: all); how much."""
    done = 0
    for h in reversed(held(run, venue, ref_id)):
        take = h.remaining if amount is None else min(amount - done, h.remaining)
        if take <= 0:
            break
        account_id = int(_hold_account(run, h.hold_id))
        plan = plan_unfreeze(h.hold_id, account_id, h.asset_id, h.remaining, take)
        run.entry("release", _fixed(plan))
        done += take
    return done


def _hold_account(run: _Run, hold_id: int) -> int:
    hold = run.uow.hold(hold_id)
    if hold is None:
        raise NotFound(f"no hold {hold_id}", code="unknown_hold")
    return int(hold.account_id)


def as_int(value: Any, what: str) -> int:
    """An integer a database column can hold (int64), or a refusal."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be an integer", code="bad_request")
    if not -INT64_MAX <= value <= INT64_MAX:
        raise ValidationError(f"{what} is out of range", code="out_of_range")
    return value
