"""Small reads the API needs beyond ``services.queries``: a party, an account, batches.

Like the queries, each opens one read unit of work and returns domain objects; routes
never touch the store themselves.
"""

from __future__ import annotations

from pctrade.kernel.errors import NotFound
from pctrade.ledger.model import CASH_ASSET, Account, AccountId, Batch, Party, PartyId, Seq
from pctrade.ledger.ports import Store


def party(store: Store, party_id: PartyId) -> Party | None:
    with store.reader() as uow:
        return uow.party(party_id)


def account(store: Store, account_id: AccountId) -> tuple[Account, set[PartyId]]:
    """An account and the agents it authorised."""
    with store.reader() as uow:
        found = uow.account(account_id)
        if found is None:
            raise NotFound(f"no account {account_id}", code="unknown_account")
        return found, uow.agents(account_id)


def batch(store: Store, denomination: str) -> Batch:
    with store.reader() as uow:
        found = uow.batch_named(denomination)
    if found is None:
        raise NotFound(f"no batch {denomination}", code="unknown_batch")
    return found


def hold_is_cash(store: Store, hold_id: Seq) -> bool:
    with store.reader() as uow:
        hold = uow.hold(hold_id)
    if hold is None:
        raise NotFound(f"no hold {hold_id}", code="unknown_hold")
    return hold.asset_id == CASH_ASSET
