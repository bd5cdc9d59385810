"""Carbon-inclusive use cases (碳普惠): open, verify, issue, and a person's credits.

- ``open``: the regulator or the registry operator opens an issuance for a
  jurisdiction and period under the rule set in force, which must admit the
  ``carbon_inclusive`` path and every methodology asked for.
- ``verify``: a verifier who is neither the requester nor one of its affiliates
  approves (the claim is computed from the energy ledger and fixed by its digest) or
  rejects with reasons.

  Both write no entry: each is logged under the caller's idempotency key in the
  ledger's request log (``Journal.execute_recorded``); the same request again answers
  the issuance as it stands (flagged ``replayed``), another under the key is refused.
- ``issue``: ONE ``inclusive_issue`` registry entry that, for every eligible person,
  spends their qualifying energy and issues the same grams into their account as one
  PCER batch; the attribution table is written beside it in the same transaction
  (``inclusive.beside.AttributionTable``).
  The claim is recomputed inside that transaction (the journal head is held), and the
  issuance is refused if it is no longer the verified one.

Exclusivity with sink sponsorship is structural: both spend the same energy balance,
and energy is spent once (see ``inclusive.claim`` for which energy qualifies).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from pctrade.inclusive import commands as c
from pctrade.inclusive.beside import AttributionTable
from pctrade.inclusive.claim import (
    Claim,
    IssuanceStatus,
    Period,
    admitted_methodologies,
    apply_minimum,
    check_affiliates,
    check_decision,
    check_period,
    check_verifier,
    denomination,
)
from pctrade.inclusive.entries import issue_inclusive
from pctrade.inclusive.sql import store as db
from pctrade.kernel.errors import (
    Conflict,
    IdempotencyConflict,
    NotFound,
)
from pctrade.kernel.limits import ATTRIBUTION_PAGE_MAX, INT32_MAX, PAGE_SIZE_MAX
from pctrade.kernel.paging import Page, fetch_size, page_of
from pctrade.ledger import access
from pctrade.ledger.journal import JsonDict, format_ts
from pctrade.ledger.model import AccountId, Party, Role, State
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import AUTHORITIES, Receipt, Registry
from pctrade.ledger.write import LoggedRow, Prior, Request, acting_party, replay_of
from pctrade.rules import RuleBook

Row = db.Row


def _issuance(uow: UnitOfWork, issuance_id: int, *, lock: bool = False) -> Row:
    row = db.issuance(uow, issuance_id, lock=lock) if 0 < issuance_id <= INT32_MAX else None
    if row is None:
        raise NotFound(f"no carbon-inclusive issuance {issuance_id}", code="unknown_issuance")
    return row


@dataclass(frozen=True, slots=True)
class InclusiveIssuance:
    issue_seq: int
    issuance_id: int
    batch: str
    rule_set: str
    methodologies: list[str]
    people: int
    issued_g: int
    replayed: bool


@dataclass(frozen=True, slots=True)
class MyInclusiveCredit:
    batch: str
    issue_seq: int
    issuance_id: int
    rule_set: str
    methodologies: list[str]
    period_start: str
    period_end: str
    credited_g: int
    available_g: int  # what I still hold of the batch
    first_line: tuple[int, int]  # (entry seq, line index) of the energy it came from
    last_line: tuple[int, int]


def _replay(uow: UnitOfWork, actor: str, key: str, issuance_id: int) -> Row | None:
    """The issuance this request replays, answered from the stored evidence before any
    rule is checked again; None when the key is new (the journal's ``replay_of``)."""
    found: list[Row] = []

    def same_request(prior: Prior) -> bool:
        row = None if prior.entry is None else db.issuance_by_seq(uow, prior.entry.seq)
        if row is not None:
            found.append(row)
        return row is not None and int(row["issuance_id"]) == issuance_id

    return None if replay_of(uow, actor, key, same_request) is None else found[0]


class CarbonInclusive:
    def __init__(self, registry: Registry, rules: RuleBook) -> None:
        self.registry = registry
        self.store = registry.store
        self.rules = rules

    def _now(self) -> str:
        return format_ts(self.registry.clock())

    def _today(self) -> date:
        return self.registry.clock().date()

    def _logged(
        self,
        actor: str,
        key: str,
        request: Request,
        write: Callable[[UnitOfWork, Party], JsonDict],
    ) -> LoggedRow:
        """A write without an entry, once per key: the issuance it wrote, or a replay's."""
        logged = self.registry.journal.execute_recorded(actor, key, request, write)
        return LoggedRow(self.issuance(int(logged.result["issuance_id"])), logged.replayed)

    # ---- open ---------------------------------------------------------------------
    def open(
        self,
        actor: str,
        key: str,
        jurisdiction: str,
        period: Period,
        methodologies: Sequence[str] = (),
        affiliates: Sequence[str] = (),
    ) -> LoggedRow:
        """Open an issuance under the rule set in force today; a verifier decides on it."""

        def write(uow: UnitOfWork, who: Party) -> JsonDict:
            # Authority first: who may not open learns nothing of the rules or the period.
            access.require_role(who, AUTHORITIES, "open carbon-inclusive issuance")
            check_period(period, self._today())
            check_affiliates(affiliates)
            rules = self.rules.in_force(jurisdiction, self._today())
            ci = rules.require_carbon_inclusive()
            chosen = admitted_methodologies(methodologies, ci.methodologies)
            row = {
                "jurisdiction": jurisdiction,
                "period_start": period.start.isoformat(),
                "period_end": period.end.isoformat(),
                "rule_set": rules.version,
                "methodologies": " ".join(chosen),
                "person_min_g": ci.person_min_g,
                "expiry_s": rules.require_energy().expiry_s,
                "requested_by": actor,
                "affiliates": " ".join(affiliates),
                "opened_at": self._now(),
                "status": str(IssuanceStatus.OPEN),
                "reason": "",
                "claim_people": 0,
                "claim_g": 0,
                "claim_digest": "",
                "below_min_people": 0,
            }
            return {"issuance_id": db.insert_issuance(uow, row)}

        start, end = period.start.isoformat(), period.end.isoformat()
        request = c.open_request(jurisdiction, start, end, methodologies, affiliates)
        return self._logged(actor, key, request, write)

    def issuance(self, issuance_id: int) -> Row:
        with self.store.reader() as uow:
            return _issuance(uow, issuance_id)

    def issuances(
        self, jurisdiction: str | None = None, after: int = 0, limit: int = PAGE_SIZE_MAX
    ) -> Page[Row]:
        """A page of issuances (of one jurisdiction, if given), oldest first."""
        n = fetch_size(limit, PAGE_SIZE_MAX)
        with self.store.reader() as uow:
            rows = db.issuances_of(uow, jurisdiction, after, n)
        return page_of(rows, limit, lambda r: (int(r["issuance_id"]),))

    # ---- verify -------------------------------------------------------------------
    def verify(
        self, actor: str, key: str, issuance_id: int, approve: bool, reason: str = ""
    ) -> LoggedRow:
        """Approve (fixing the claim) or reject an open issuance."""

        def write(uow: UnitOfWork, who: Party) -> JsonDict:
            access.require_role(who, (Role.VERIFIER,), "verify claims")
            row = _issuance(uow, issuance_id, lock=True)
            check_verifier(actor, row["requested_by"], row["affiliates"].split())
            check_decision(IssuanceStatus(row["status"]), approve, reason)
            values: Row = {"verifier": actor, "decided_at": self._now(), "reason": reason}
            if approve:
                as_of = uow.head.last_seq
                found, below = self._claim(uow, row, as_of)
                if found.people == 0:
                    raise Conflict(
                        f"no one reaches {row['person_min_g']} g of qualifying energy "
                        f"({below} below the minimum)",
                        code="nothing_qualifies",
                    )
                values |= {
                    "status": str(IssuanceStatus.VERIFIED),
                    "as_of_seq": as_of,
                    "claim_people": found.people,
                    "claim_g": found.total_g,
                    "claim_digest": found.digest(),
                    "below_min_people": below,
                }
            else:
                values["status"] = str(IssuanceStatus.REJECTED)
            db.update_issuance(uow, issuance_id, **values)
            return {"issuance_id": issuance_id}

        request = c.decision_request(issuance_id, approve, reason)
        return self._logged(actor, key, request, write)

    def _claim(self, uow: UnitOfWork, row: Row, as_of_seq: int) -> tuple[Claim, int]:
        found = db.claim(
            uow,
            methodologies=tuple(row["methodologies"].split()),
            day_from=row["period_start"],
            day_to=row["period_end"],
            as_of_seq=as_of_seq,
        )
        return apply_minimum(found, int(row["person_min_g"]))

    # ---- issue --------------------------------------------------------------------
    def issue(self, actor: str, key: str, issuance_id: int) -> InclusiveIssuance:
        """Issue the verified claim as one PCER batch, spending the energy behind it."""
        with self.store.reader() as uow:
            prior = _replay(uow, actor, key, issuance_id)
            if prior is not None:
                return self._from_row(prior, replayed=True)
            # Authority before state: who may not issue learns nothing of the issuance.
            # (The entry's planner checks it again, under the journal head.)
            access.require_role(
                acting_party(uow, actor), AUTHORITIES, "issue carbon-inclusive credits"
            )
            row = _issuance(uow, issuance_id)
            status = IssuanceStatus(row["status"])
            if status != IssuanceStatus.VERIFIED:
                raise Conflict(
                    f"issuance {issuance_id} is {status}; issuing needs it verified",
                    code="not_verified",
                )
            period = Period(
                date.fromisoformat(row["period_start"]), date.fromisoformat(row["period_end"])
            )
            prefix = denomination(row["jurisdiction"], period, 1)[:-3]
            serial = db.issued_count(uow, row["jurisdiction"], prefix) + 1
        batch = denomination(row["jurisdiction"], period, serial)
        self.rules.by_version(row["rule_set"])  # the cited rules must still be loadable
        taken: list[Claim] = []

        def recipients(uow: UnitOfWork) -> tuple[Sequence[AccountId], Sequence[int]]:
            fresh = _issuance(uow, issuance_id, lock=True)
            if fresh["status"] != IssuanceStatus.VERIFIED:
                raise Conflict(f"issuance {issuance_id} is {fresh['status']}", code="not_verified")
            found, _ = self._claim(uow, fresh, int(fresh["as_of_seq"]))
            if found.digest() != fresh["claim_digest"]:
                raise Conflict(
                    "energy behind the verified claim was spent or expired since; verify again",
                    code="claim_changed",
                )
            taken.append(found)
            return found.account_ids, found.amounts_g

        methodologies = tuple(row["methodologies"].split())
        cmd = c.IssueInclusive(issuance_id, batch, row["rule_set"], methodologies)
        table = AttributionTable(issuance_id, batch, taken)
        receipt = issue_inclusive(self.registry, actor, key, cmd, recipients, evidence=table)
        return self._result(receipt)

    def _result(self, receipt: Receipt) -> InclusiveIssuance:
        with self.store.reader() as uow:
            row = db.issuance_by_seq(uow, receipt.seq)
            if row is None:
                raise IdempotencyConflict(f"entry {receipt.seq} is not a carbon-inclusive issuance")
            return self._from_row(row, receipt.replayed)

    @staticmethod
    def _from_row(row: Row, replayed: bool) -> InclusiveIssuance:
        return InclusiveIssuance(
            int(row["issue_seq"]),
            int(row["issuance_id"]),
            row["batch"],
            row["rule_set"],
            row["methodologies"].split(),
            int(row["claim_people"]),
            int(row["claim_g"]),
            replayed,
        )

    # ---- reads --------------------------------------------------------------------
    def attribution_totals(self, issue_seq: int) -> tuple[int, int]:
        with self.store.reader() as uow:
            return db.attribution_totals(uow, issue_seq)

    def attributions(
        self, actor: Party, issuance_id: int, after: int = 0, limit: int = ATTRIBUTION_PAGE_MAX
    ) -> Page[Row]:
        """A page of who got how much of an issued batch, and from which energy lines.

        For the authorities and verifiers: the table names every person credited.
        """
        access.require_role(actor, (*AUTHORITIES, Role.VERIFIER), "read attribution tables")
        n = fetch_size(limit, ATTRIBUTION_PAGE_MAX)
        with self.store.reader() as uow:
            row = _issuance(uow, issuance_id)
            if row["issue_seq"] is None:
                raise Conflict(f"issuance {issuance_id} is not issued", code="not_issued")
            rows = db.attributions_page(uow, int(row["issue_seq"]), after, n)
        return page_of(rows, limit, lambda r: (int(r["account_id"]),))

    def mine(
        self, account_id: AccountId, after: int = 0, limit: int = PAGE_SIZE_MAX
    ) -> Page[MyInclusiveCredit]:
        """A page of the carbon-inclusive credits an account received (by issue seq,
        after ``after``), and what it still holds of each."""
        n = fetch_size(limit, PAGE_SIZE_MAX)
        with self.store.reader() as uow:
            if uow.account(account_id) is None:
                raise NotFound(f"no account {account_id}", code="unknown_account")
            found = []
            for a in db.attributions_of_account(uow, account_id, after, n):
                batch = uow.batch_named(a["batch"])
                held = (
                    0 if batch is None else uow.balance(account_id, batch.asset_id, State.AVAILABLE)
                )
                found.append(
                    MyInclusiveCredit(
                        a["batch"],
                        int(a["issue_seq"]),
                        int(a["issuance_id"]),
                        a["rule_set"],
                        a["methodologies"].split(),
                        a["period_start"],
                        a["period_end"],
                        int(a["amount_g"]),
                        held,
                        (int(a["first_seq"]), int(a["first_idx"])),
                        (int(a["last_seq"]), int(a["last_idx"])),
                    )
                )
        return page_of(found, limit, lambda m: (m.issue_seq,))
