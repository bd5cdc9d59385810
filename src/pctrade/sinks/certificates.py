"""PCER issuance certificates (签发证明): one per batch, and one per sponsor in it.

The batch certificate is the issuance record: which project and monitoring period,
who verified it and when, the verified removals, the buffer withheld, how many sponsors
shared the rest and in how many shares, the leftover grams the largest-remainder step
handed out, the batch's denomination, and the issue entry's seq and hash that make it
checkable against the journal. It carries no personal data, so anyone may read it.

Since per-unit attribution (issue 11) it also states what one unit is (a tree, or so
many m² of the parcels), how many units the project has, the sponsors' share of them,
the grams that stayed unissued with the project, and the removal model's version, so a
credit can be followed to the units, the verified report and the model behind it.

A sponsor's certificate adds that person's line of the attribution table and the
arithmetic behind it: the sponsors' grams × my shares ÷ all shares, the whole grams and
the remainder, and whether one of the leftover grams came to me under the stated rule.
Everything is read from the sink rows and the entry, which ``verify`` audits.
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.kernel.errors import NotFound
from pctrade.kernel.limits import INT64_MAX
from pctrade.ledger.model import AccountId, Seq, State
from pctrade.ledger.ports import Store, UnitOfWork
from pctrade.sinks.queries import unit_definition
from pctrade.sinks.sql import store as db

REMAINDER_RULE = (
    "largest remainder: each sponsor gets floor(distributable × shares ÷ total shares) "
    "grams; the leftover grams go one each to the largest remainders, ties to the smaller "
    "account number"
)
REMAINDER_RULE_ZH = (
    "最大余数法：每位认养人先得 ⌊可分配量 × 份额 ÷ 总份额⌋ 克，"
    "余下的克数按余数从大到小各补 1 克，余数相同者账号小者优先"
)


@dataclass(frozen=True, slots=True)
class IssuanceCertificate:
    certificate_id: str
    batch: str
    jurisdiction: str
    project_code: str
    project_name: str
    project_type: str
    forest_type: str
    owner: str
    period_start: str
    period_end: str
    report_id: int
    verifier: str
    verified_at: str
    verified_removals_g: int  # the report's verified removals (all its batches)
    issued_g: int  # what this batch drew on them: buffer + attributed + unissued
    buffer_bps: int
    buffer_g: int
    attributed_g: int
    sponsors: int
    total_shares: int
    unit_definition: str  # what one sponsor unit is
    project_units: int  # the units in the project; total_shares of them were sponsored
    share_rule: str  # how the sponsors' grams follow from their units
    unissued_g: int  # the removals of units nobody sponsored: recorded, not issued
    model_version: str  # the removal model the project was registered under
    leftover_g: int
    shares_as_of: str
    remainder_rule: str
    issued_by: str
    issued_at: str
    journal_seq: Seq
    entry_hash: str


@dataclass(frozen=True, slots=True)
class SponsorCredit:
    certificate_id: str
    account_id: AccountId
    shares: int
    total_shares: int
    floor_g: int  # floor(distributable × shares ÷ total shares)
    remainder: int  # the numerator over total_shares that floor() dropped
    rounded_up: bool
    credited_g: int
    available_g: int  # what the account still holds of the batch


def issuance_certificate(store: Store, issue_seq: Seq) -> IssuanceCertificate:
    with store.reader() as uow:
        return _certificate(uow, issue_seq)


def sponsor_certificate(
    store: Store, issue_seq: Seq, account_id: AccountId
) -> tuple[IssuanceCertificate, SponsorCredit]:
    with store.reader() as uow:
        cert = _certificate(uow, issue_seq)
        row = db.attribution_of(uow, issue_seq, account_id)
        if row is None:
            raise NotFound(
                f"account {account_id} has no credits from issuance {issue_seq}",
                code="unknown_certificate",
            )
        batch = uow.batch_named(cert.batch)
        held = 0 if batch is None else uow.balance(account_id, batch.asset_id, State.AVAILABLE)
    up = bool(row["rounded_up"])
    amount = int(row["amount_g"])
    credit = SponsorCredit(
        f"{cert.certificate_id}-{account_id}",
        account_id,
        int(row["shares"]),
        cert.total_shares,
        amount - int(up),
        int(row["remainder"]),
        up,
        amount,
        held,
    )
    return cert, credit


def _certificate(uow: UnitOfWork, issue_seq: Seq) -> IssuanceCertificate:
    row = db.issuance(uow, issue_seq) if 0 < issue_seq <= INT64_MAX else None
    entry = uow.entry(issue_seq) if row is not None else None
    if row is None or entry is None:
        raise NotFound(f"entry {issue_seq} is not a sink issuance", code="unknown_certificate")
    report = db.report(uow, int(row["report_id"]))
    project = db.project(uow, row["project_code"])
    if report is None or project is None:  # pragma: no cover - written together
        raise NotFound(f"issuance {issue_seq} lost its report", code="unknown_certificate")
    removals, buffer = int(row["removals_g"]), int(row["buffer_g"])
    unissued = int(row["unissued_g"] or 0)
    units = int(row["project_units"] or row["total_shares"])
    return IssuanceCertificate(
        certificate_id=f"PCER-IC-{issue_seq:012d}",
        batch=row["batch"],
        jurisdiction=project["jurisdiction"],
        project_code=project["code"],
        project_name=project["name"],
        project_type=project["project_type"],
        forest_type=project["forest_type"],
        owner=project["owner"],
        period_start=report["period_start"],
        period_end=report["period_end"],
        report_id=int(report["report_id"]),
        verifier=report["verifier"] or "",
        verified_at=report["decided_at"] or "",
        verified_removals_g=int(report["removals_g"]),
        issued_g=int(row["removals_g"]),
        buffer_bps=int(row["buffer_bps"]),
        buffer_g=int(row["buffer_g"]),
        attributed_g=removals - buffer - unissued,
        sponsors=int(row["sponsors"]),
        total_shares=int(row["total_shares"]),
        unit_definition=unit_definition(project),
        project_units=units,
        share_rule=_share_rule(row, units),
        unissued_g=unissued,
        model_version=project["model_version"],
        leftover_g=int(row["leftover_g"]),
        shares_as_of=row["shares_as_of"],
        remainder_rule=REMAINDER_RULE,
        issued_by=entry.header.actor,
        issued_at=entry.header.ts,
        journal_seq=issue_seq,
        entry_hash=entry.hash,
    )


def _share_rule(row: db.Row, units: int) -> str:
    shares = int(row["total_shares"])
    if row["project_units"] is None:
        return (
            f"issued before per-unit attribution: the {shares:,} sponsored units shared all "
            "the removals less the buffer"
        )
    return (
        f"sponsored share = ⌊removals × {shares:,} sponsored ÷ {units:,} units⌋; the buffer "
        "insures it alone (⌈share × rate⌉) and the sponsors get the rest of it; the removals "
        "beyond it are unissued, kept with the project"
    )
