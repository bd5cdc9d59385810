"""Domain objects → ``…Public`` bodies. Pure functions; no reads, no writes.

A write's response is built only from the journal entry it recorded (and from
immutable facts such as an account's number), so a replay, which finds the same
entry, answers with the same body.
"""

from __future__ import annotations

from dataclasses import asdict

from pctrade.api import schemas as s
from pctrade.ledger.certificates import Certificate
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.model import Account, AccountStatus, Batch, State
from pctrade.ledger.queries import (
    AccountView,
    JournalHead,
    Position,
    Positions,
    Supply,
    VerifyReport,
)
from pctrade.ledger.status import Standing


def unit_of(asset: str) -> str:
    return "fen" if asset == s.CASH else "g"


def entry(e: Entry) -> s.EntryPublic:
    h = e.header
    return s.EntryPublic(
        seq=h.seq,
        op_type=h.op_type,
        actor=h.actor,
        idempotency_key=h.idem_key,
        ts=h.ts,
        payload=h.payload,
        posting_count=e.posting_count,
        prev_hash=e.prev_hash,
        hash=e.hash,
    )


def account(a: Account) -> s.AccountPublic:
    return s.AccountPublic(
        account_id=a.account_id,
        account_number=a.number,
        holder_type=str(a.holder_type),
        owner=a.owner,
        label=a.label,
    )


_STATUS_NAMES: dict[AccountStatus, s.AccountStatusName] = {
    AccountStatus.OPEN: "open",
    AccountStatus.BLOCKED: "blocked",
    AccountStatus.SUSPENDED: "suspended",
    AccountStatus.CLOSED: "closed",
}


def standing(st: Standing) -> s.AccountStatusPublic:
    return s.AccountStatusPublic(status=_STATUS_NAMES[st.status], reason=st.reason, seq=st.seq)


def _holdings(view: AccountView | Position) -> list[s.HoldingPublic]:
    return [
        s.HoldingPublic(asset=h.asset, state=h.state, amount=h.amount, unit=unit_of(h.asset))
        for h in view.holdings
    ]


def _holds(view: AccountView | Position) -> list[s.HoldPublic]:
    return [
        s.HoldPublic(
            hold_id=h["hold_id"],
            asset=h["asset"],
            reason=h["reason"],
            reference=h["reference"],
            amount=h["amount"],
            remaining=h["remaining"],
            unit=unit_of(h["asset"]),
        )
        for h in view.holds
    ]


def account_view(view: AccountView) -> s.AccountViewPublic:
    return s.AccountViewPublic(
        account=account(view.account),
        status=standing(view.standing),
        holdings=_holdings(view),
        holds=_holds(view),
        agents=view.agents,
    )


def journal_head(head: JournalHead) -> s.JournalHeadPublic:
    return s.JournalHeadPublic(seq=head.seq, hash=head.hash, ts=head.ts)


def positions(found: Positions) -> s.PositionsPublic:
    return s.PositionsPublic(
        as_of=journal_head(found.at),
        accounts=[
            s.PositionPublic(account=account(p.account), holdings=_holdings(p), holds=_holds(p))
            for p in found.accounts
        ],
    )


def supply(found: Supply) -> s.SupplyPublic:
    return s.SupplyPublic(
        denomination=found.batch.name,
        asset_id=found.batch.asset_id,
        issued_g=found.batch.issued_g,
        available_g=found.amount(State.AVAILABLE),
        frozen_g=found.amount(State.FROZEN),
        surrendered_g=found.amount(State.SURRENDERED),
        retired_g=found.amount(State.RETIRED),
        cancelled_g=found.amount(State.CANCELLED),
        as_of=journal_head(found.at),
    )


def certificate(cert: Certificate) -> s.CertificatePublic:
    return s.CertificatePublic.model_validate(asdict(cert))


def batch(b: Batch) -> s.BatchPublic:
    d = b.denomination
    return s.BatchPublic(
        asset_id=b.asset_id,
        denomination=b.name,
        instrument=str(d.instrument),
        jurisdiction=d.jurisdiction,
        project=d.project,
        vintage=d.vintage,
        serial=d.serial,
        issued_g=b.issued_g,
        issued_seq=b.issued_seq,
        methodology=b.methodology,
    )


def entry_detail(e: Entry, detail: JsonDict) -> s.EntryDetailPublic:
    return s.EntryDetailPublic(
        entry=entry(e),
        postings=[s.PostingPublic(**p) for p in detail["postings"]],
        posting_count=int(detail["posting_count"]),
    )


def verify(report: VerifyReport) -> s.VerifyPublic:
    return s.VerifyPublic(
        ok=report.ok,
        entries=report.entries,
        postings=report.postings,
        balances=report.balances,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        problems=[
            s.IntegrityProblemPublic(code=p.code, message=p.message, seq=p.seq)
            for p in report.problems
        ],
    )
