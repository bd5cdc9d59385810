"""What the emitter desk shows, gathered from the contexts' services and queries.

The same reads the API answers with: the compliance reports (status, the period's
obligation, the offset cap left: ``compliance.reports.Reports``), the registry's view of
each account (holdings, holds), the market's contracts, the block proposals addressed to
the emitter and the auctions open for bids (``market.venue_reads``), and its orders.
Nothing here decides a rule; it only puts the answers side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pctrade.bootstrap import App
from pctrade.compliance.offset_room import OffsetRoom
from pctrade.compliance.reports import EmitterStatus
from pctrade.kernel.errors import ValidationError
from pctrade.ledger import queries as ledger
from pctrade.ledger.model import CASH_NAME, Account, Denomination, HolderType
from pctrade.market import queries as market
from pctrade.market import venue_reads

ORDERS_SHOWN_MAX = 20
OPEN_AUCTION = "open"
Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Obligation:
    """One period's obligation of one emitter account: its status and offset room."""

    status: EmitterStatus
    room: OffsetRoom


@dataclass(frozen=True, slots=True)
class SurrenderBatch:
    """A batch the account may surrender from: its name says what it is and where from
    (``Denomination``), so the desk can tell offsets and non-local offsets apart live."""

    name: str
    instrument: str
    jurisdiction: str
    available_g: int


@dataclass(frozen=True, slots=True)
class EmitterAccount:
    account: Account
    holdings: list[ledger.Holding]
    holds: list[Row]
    obligations: list[Obligation]
    batches: list[SurrenderBatch] = field(default_factory=list)


def surrender_batches(holdings: list[ledger.Holding]) -> list[SurrenderBatch]:
    """The credit batches available in ``holdings`` (cash and energy are not batches)."""
    found = []
    for h in holdings:
        if h.state != "available" or h.amount <= 0 or h.asset == CASH_NAME:
            continue
        try:
            d = Denomination.parse(h.asset)
        except ValidationError:
            continue
        found.append(SurrenderBatch(h.asset, str(d.instrument), d.jurisdiction, h.amount))
    return sorted(found, key=lambda b: b.name)


@dataclass(frozen=True, slots=True)
class Desk:
    accounts: list[EmitterAccount]
    contracts: list[Row]
    blocks: list[Row]  # open proposals addressed to the emitter
    auctions: list[Row]  # auctions open for bids, with their contract
    orders: list[Row]  # the emitter's latest orders, each with its contract's code


def emitter_accounts(app: App, party_id: str) -> list[Account]:
    """The key-emitter accounts ``party_id`` holds."""
    return [
        a
        for a in ledger.accounts_of(app.store, party_id)
        if a.holder_type == HolderType.KEY_EMITTER
    ]


def obligations(app: App, account_id: int) -> list[Obligation]:
    """Every capped period that concerns the account, newest first."""
    reports = app.compliance_reports
    return [
        Obligation(reports.status(account_id, j, p), reports.offset_room(account_id, j, p))
        for j, p in reports.periods_of(account_id)
    ]


def open_auctions(app: App, contracts: list[Row]) -> list[Row]:
    found: list[Row] = []
    for c in contracts:
        code = str(c["code"])
        found.extend(
            {"contract": code, **a}
            for a in venue_reads.auctions(app.store, code)
            if a["state"] == OPEN_AUCTION
        )
    return found


def desk(app: App, party_id: str) -> Desk:
    """Everything the desk shows to ``party_id`` (an emitter or its agent)."""
    accounts = []
    for account in emitter_accounts(app, party_id):
        view = ledger.account_view(app.store, account.account_id)
        accounts.append(
            EmitterAccount(
                account,
                view.holdings,
                view.holds,
                obligations(app, account.account_id),
                surrender_batches(view.holdings),
            )
        )
    contracts = market.contracts(app.store)
    codes = {int(c["contract_id"]): str(c["code"]) for c in contracts}
    orders = market.my_orders(app.store, party_id, limit=ORDERS_SHOWN_MAX)
    return Desk(
        accounts=accounts,
        contracts=contracts,
        blocks=venue_reads.blocks_for(app.store, party_id),
        auctions=open_auctions(app, contracts),
        orders=[{**o, "contract": codes.get(int(o["contract_id"]), "")} for o in orders],
    )
