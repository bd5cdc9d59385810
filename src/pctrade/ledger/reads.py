"""Reads on behalf of a caller: who may read what, checked, then the query.

The write path checks its access rules inside the registry (``Registry``); these are
the read path's equivalents, so that the API, the CLI and any web page ask the same
question and get the same answer — and no router holds an access rule. Each function
takes the calling party, applies ``ledger.access``, and returns what
``ledger.queries`` would.

The order of "read, then check" versus "check, then read" is part of the answer: where
the rule depends on what is read (an entry's actor, an account's agents), an unknown
id answers 404 before any 403.
"""

from __future__ import annotations

from collections.abc import Sequence

from pctrade.kernel.errors import NotFound
from pctrade.kernel.paging import Page
from pctrade.ledger import access, queries
from pctrade.ledger.certificates import Certificate
from pctrade.ledger.extensions import Context
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.model import AccountId, HolderType, Party, Seq
from pctrade.ledger.ports import Store


def own_individual_account(store: Store, party_id: str) -> AccountId:
    """The caller's personal account: what "me" means for energy, sinks and credits."""
    own = [
        a for a in queries.accounts_of(store, party_id) if a.holder_type == HolderType.INDIVIDUAL
    ]
    if not own:
        raise NotFound(f"{party_id} holds no individual account", code="unknown_account")
    return own[0].account_id


def _require_account_reader(store: Store, actor: Party, account_id: AccountId) -> None:
    with store.reader() as uow:
        found = uow.account(account_id)
        if found is None:
            raise NotFound(f"no account {account_id}", code="unknown_account")
        agents = uow.agents(account_id)
    access.require_account_reader(actor, found, agents)


def account_view(store: Store, actor: Party, account_id: AccountId) -> queries.AccountView:
    """An account with its balances, holds and agents, for its readers."""
    _require_account_reader(store, actor, account_id)
    return queries.account_view(store, account_id)


def positions(
    store: Store, actor: Party, account_ids: Sequence[AccountId], as_of: Seq | None
) -> queries.Positions:
    """Several accounts at one journal position, if the caller may read every one."""
    queries.check_positions_size(account_ids)
    for account_id in sorted(set(account_ids)):
        _require_account_reader(store, actor, account_id)
    return queries.positions(store, account_ids, as_of)


def certificate(store: Store, actor: Party, seq: Seq) -> Certificate:
    """A retirement's full certificate, for the retiring account's readers."""
    found = queries.certificate(store, seq)
    with store.reader() as uow:
        entry = uow.entry(seq)
    if entry is not None and entry.header.actor != actor.party_id:
        _require_account_reader(store, actor, int(entry.header.payload["account"]))
    return found


def retirements_of(store: Store, actor: Party, account_id: AccountId) -> list[Certificate]:
    """An account's retirement certificates, newest first, for the account's readers."""
    _require_account_reader(store, actor, account_id)
    return queries.retirements_of(store, account_id)


def journal_page(
    store: Store, actor: Party, after: Seq, limit: int, account_id: AccountId | None
) -> Page[Entry]:
    """The whole journal (authorities), or the entries touching one readable account."""
    if account_id is None:
        access.require_authority(actor, "read the whole journal")
    else:
        _require_account_reader(store, actor, account_id)
    return queries.journal_page(store, after, limit, account_id)


def entry_detail(store: Store, actor: Party, seq: Seq, postings_max: int) -> tuple[Entry, JsonDict]:
    """One entry with its postings, for the party that acted or the authorities."""
    found, detail = queries.entry_detail(store, seq, postings_max)
    if found.header.actor != actor.party_id:
        access.require_authority(actor, f"read entry {seq}")
    return found, detail


def verify(store: Store, actor: Party, contexts: Sequence[Context]) -> queries.VerifyReport:
    """``verify`` the whole registry with the app's ``contexts`` (authorities)."""
    access.require_authority(actor, "verify the registry")
    return queries.verify(store, contexts)
