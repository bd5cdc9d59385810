"""Whether a holder may sell each contract it holds directly, before it tries (a read).

The wallet shows a person, for each listed contract whose credits their account holds,
whether they may sell it on the order book today, and if not, every condition that
failed with the rule set cited: the very decision ``Market.place`` takes
(``market.eligibility.decide`` from the same facts, rules, day and holding), so the
page never says "you may" where the market would refuse, nor the reverse. A refused
seller is pointed to the platform pools (``POOLS_HINT``).

    direct_selling(store, rules, party_id, account_id, day)  → [SellStanding, …]

What is held of a contract counts as the market counts it (``Holdings.credits``): the
contract's batches, available or frozen; what may be offered is the available part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pctrade.identity.queries import facts_of
from pctrade.kernel.errors import NotFound
from pctrade.kernel.paging import fetch_size
from pctrade.ledger.model import CASH_ASSET, ENERGY_ASSET, Role, State
from pctrade.ledger.ports import Store
from pctrade.market.eligibility import POOLS_HINT, Decision, decide
from pctrade.market.model import contract_code
from pctrade.market.sql import reads as rdb
from pctrade.rules import RuleBook

# Listed contracts read at once to place a holding in its contract; a registry lists
# a handful per jurisdiction, vintage and instrument.
CONTRACTS_READ_MAX = 1_000

__all__ = ["CONTRACTS_READ_MAX", "POOLS_HINT", "SellStanding", "direct_selling"]


@dataclass(frozen=True, slots=True)
class SellStanding:
    """One contract an account holds: what it holds, the lot, and the market's decision."""

    contract: str
    instrument: str
    held_g: int  # available or frozen, as the holding minimum counts it
    available_g: int  # what a sell order may offer now
    lot_g: int  # the quantity step an order's quantity is a multiple of
    price_step_fen_per_t: int
    reference_price_fen_per_t: int | None
    decision: Decision

    @property
    def eligible(self) -> bool:
        return self.decision.eligible


def _contract_key(row: dict[str, object]) -> list[str]:
    # The market's own key (``Holdings.contract_key``): a project's contract names it.
    key = ["instrument", "jurisdiction", "vintage"]
    return key + (["project"] if row["project"] else [])


def direct_selling(
    store: Store, rules: RuleBook, party_id: str, account_id: int, day: date
) -> list[SellStanding]:
    """For each listed contract ``account_id`` holds credits of, whether ``party_id`` (its
    holder) may sell it directly on ``day``, by contract code."""
    with store.reader() as uow:
        account = uow.account(account_id)
        party = uow.party(party_id)
        if account is None or party is None:
            raise NotFound(f"no account {account_id} of {party_id}", code="unknown_account")
        rows = rdb.contracts_after(uow, 0, fetch_size(CONTRACTS_READ_MAX, CONTRACTS_READ_MAX))
        batches = {b.asset_id: b for b in uow.batches()}
        balances = uow.balances_of(account_id)
        facts = (
            facts_of(uow, party_id) if party.role in (Role.INDIVIDUAL, Role.INSTITUTION) else None
        )
    held: dict[str, list[int]] = {}
    for asset_id, state, amount in balances:
        batch = batches.get(asset_id)
        if asset_id in (CASH_ASSET, ENERGY_ASSET) or batch is None:
            continue
        for row in rows:
            if contract_code(_contract_key(row), batch.denomination) != row["code"]:
                continue
            figures = held.setdefault(str(row["code"]), [0, 0])
            if state in (State.AVAILABLE, State.FROZEN):
                figures[0] += amount
            if state == State.AVAILABLE:
                figures[1] += amount
    out: list[SellStanding] = []
    for row in rows:
        code = str(row["code"])
        if code not in held or held[code][0] == 0:
            continue
        rule_set = rules.in_force(str(row["market"]), day)
        instrument = str(row["instrument"])
        if rule_set.eligibility is None or rule_set.trading is None:
            continue  # the market takes no orders under such a rule set
        trading = rule_set.trading.for_instrument(instrument)
        decision = decide(
            party_id,
            party.role,
            facts,
            rule_set.eligibility.for_instrument(instrument),
            rule_set=rule_set.version,
            digest=rule_set.digest,
            day=day,
            held_g=held[code][0],
        )
        reference = row["reference_price_fen_per_t"]
        out.append(
            SellStanding(
                code,
                instrument,
                held[code][0],
                held[code][1],
                trading.quantity_step_g,
                trading.price_step_fen_per_t,
                None if reference is None else int(str(reference)),
                decision,
            )
        )
    return sorted(out, key=lambda s: s.contract)
