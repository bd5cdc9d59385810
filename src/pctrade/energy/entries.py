"""The energy context's journal entries: credit, release a held event, collect, spend, expire.

Each is a planner handed to the ledger's one write path (``Journal.execute``), with the
energy context's own SQL behind it (``energy.sql.lines``). An ``energy_credit`` entry
brings its statement lines as typed evidence (``StatementLines``): the store writes
the entry, and the lines are written beside it in the same transaction, so a credit
and its lines commit, or roll back, together. The payload already records the lines'
digest, so this evidence adds no facts to it (``verify`` recomputes the digest from
the stored lines).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from pctrade.energy import commands as c
from pctrade.energy.credit_columns import EnergyCreditColumns, plan_energy_credit_columns
from pctrade.energy.model import (
    Collectable,
    EnergyCredit,
    EnergyLine,
    plan_energy_collect,
    plan_energy_credit,
    plan_energy_expire,
    plan_energy_spend,
    uncollected_split,
)
from pctrade.energy.sql import collections as collections_store
from pctrade.energy.sql import lines as lines_store
from pctrade.kernel.errors import Conflict, Forbidden, NotFound
from pctrade.ledger import access
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.model import ENERGY_ASSET, Account, Party, Role, State
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import (
    AUTHORITIES,
    Registry,
    account_of,
    require_fits,
    require_held,
    require_holder,
)
from pctrade.ledger.write import Evidence, Receipt


@dataclass(frozen=True, slots=True)
class StatementLines:
    """A credit's statement lines, written beside its entry, then the caller's rows."""

    lines: Sequence[EnergyLine]
    then: Evidence | None = None  # e.g. the day's judged events, a review's decision

    @property
    def facts(self) -> JsonDict | None:
        return None if self.then is None else self.then.facts

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        lines_store.write_lines(uow, entry.seq, self.lines)
        if self.then is not None:
            self.then.write(uow, entry)


@dataclass(frozen=True, slots=True)
class ColumnLines:
    """``StatementLines`` of a credit on columns (``credit_columns``): the same rows,
    written set-based (COPY on PostgreSQL)."""

    lines: pa.Table
    then: Evidence | None = None

    @property
    def facts(self) -> JsonDict | None:
        return None if self.then is None else self.then.facts

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        lines_store.write_lines_table(uow, entry.seq, self.lines)
        if self.then is not None:
            self.then.write(uow, entry)


@dataclass(frozen=True, slots=True)
class PlannedLines:
    """The lines of a credit computed inside the transaction (the last planner run's)."""

    planned: list[EnergyCredit]
    then: Evidence | None = None

    @property
    def facts(self) -> JsonDict | None:
        return None if self.then is None else self.then.facts

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        StatementLines(self.planned[-1].lines, self.then).write(uow, entry)


def _recipients_exist(uow: UnitOfWork, plan: Plan, message: str) -> None:
    ids = list(plan.postings.accounts[1:])
    if uow.account_count(ids) != len(ids):
        raise NotFound(message, code="unknown_account")


def credit_energy(
    registry: Registry,
    actor: str,
    key: str,
    cmd: c.CreditEnergy,
    *,
    evidence: Evidence | None = None,
) -> Receipt:
    """One day's energy for many people, as one bulk entry (registry operator only).

    ``evidence`` records the day's judged events in the same transaction.
    """

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        access.require_role(who, (Role.REGISTRY_OPERATOR,), "credit green energy")
        # A day is credited once: a second run with other events or another as-of
        # time would count the same behaviour twice (DESIGN §4, no double counting).
        prior = lines_store.credit_of_day(uow, cmd.credit.day)
        if prior is not None:
            raise Conflict(
                f"energy for {cmd.credit.day} was credited by entry {prior}",
                code="day_already_credited",
            )
        credit = cmd.credit
        if isinstance(credit, EnergyCreditColumns):
            plan = plan_energy_credit_columns(credit)
        else:
            plan = plan_energy_credit(credit)
        _recipients_exist(uow, plan, "some energy recipients have no account")
        require_fits(uow, plan)
        return plan

    lines: Evidence
    if isinstance(cmd.credit, EnergyCreditColumns):
        lines = ColumnLines(cmd.credit.lines, evidence)
    else:
        lines = StatementLines(cmd.credit.lines, evidence)
    return registry.journal.execute(actor, key, cmd, planner, lines)


def release_energy(
    registry: Registry,
    actor: str,
    key: str,
    cmd: c.ReleaseHeld,
    credit: Callable[[UnitOfWork], EnergyCredit],
    *,
    evidence: Evidence | None = None,
) -> Receipt:
    """Credit one released held event as a one-line ``energy_credit`` entry.

    The day may have been credited already: a release is the reviewed remainder of
    that day, capped against it by ``credit``, which runs inside the transaction
    (so two releases for one person cannot both use the same room). Its payload
    names the event; ``evidence`` records the decision, once.
    """
    planned: list[EnergyCredit] = []  # the credit the last planner run computed

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        access.require_role(who, AUTHORITIES, "release held green energy")
        planned.append(credit(uow))
        plan = plan_energy_credit(planned[-1])
        plan.payload["release"] = {
            "partner_id": cmd.partner_id,
            "event_id": cmd.event_id,
            "reason": cmd.reason,
        }
        _recipients_exist(uow, plan, "the person has no account")
        require_fits(uow, plan)
        return plan

    return registry.journal.execute(actor, key, cmd, planner, PlannedLines(planned, evidence))


def spend_energy(
    registry: Registry,
    actor: str,
    key: str,
    cmd: c.SpendEnergy,
    *,
    evidence: Evidence | None = None,
) -> Receipt:
    """Consume collected energy exactly once; the holder or its agent spends it.

    Small, so tried lean first (see ``ledger.write``); ``evidence`` (a sink
    sponsorship's rows) makes it careful.
    """

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        account = account_of(uow, cmd.account_id)
        require_holder(uow, who, account)
        plan = plan_energy_spend(account, cmd.quantity_g, cmd.purpose, cmd.reference)
        require_held(uow, account, ENERGY_ASSET, cmd.quantity_g)
        return plan

    return registry.journal.execute(actor, key, cmd, planner, evidence, lean=True)


class _NothingToExpire(Exception):
    """Internal: an expiry run found nothing to expire; no entry is written."""


def expire_energy(registry: Registry, actor: str, key: str, cmd: c.ExpireEnergy) -> Receipt | None:
    """Lapse all uncollected energy that appeared at or before ``cmd.cutoff``.

    Collected energy never lapses. Returns None when nothing is left to lapse (no entry
    is written).
    """

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        access.require_role(who, (Role.REGISTRY_OPERATOR,), "expire green energy")
        ids, amounts = collections_store.lapsing(uow, cmd.cutoff)
        if not ids:
            raise _NothingToExpire()
        return plan_energy_expire(ids, amounts, cmd.cutoff, cmd.expiry_s, cmd.rule_set)

    try:
        return registry.journal.execute(actor, key, cmd, planner)
    except _NothingToExpire:
        return None


def _require_own(uow: UnitOfWork, who: Party, account: Account) -> None:
    """Only the holder, or a party the holder authorised, collects their energy."""
    if who.party_id == account.owner or who.party_id in uow.agents(account.account_id):
        return
    raise Forbidden(
        f"{who.party_id} is neither the holder of account {account.number} nor authorised by it",
        code="not_your_account",
    )


def collectable(uow: UnitOfWork, account: Account, cutoff: str) -> Collectable:
    """What ``account`` may collect now: its uncollected energy split at ``cutoff``."""
    since = collections_store.last_collection(uow, account.account_id)
    credits = collections_store.credits_since(uow, account.account_id, since)
    uncollected = uow.balance(account.account_id, ENERGY_ASSET, State.UNCOLLECTED)
    recent = [credit for credit in credits if credit.ts > cutoff]
    valid, lapsed = uncollected_split(uncollected, sum(c.credited_g for c in recent))
    # The credits collected are the newest ones that make up ``valid``.
    first_seq, left = 0, valid
    for credit in reversed(recent):
        if left <= 0:
            break
        first_seq, left = credit.seq, left - credit.credited_g
    return Collectable(account, uncollected, valid, lapsed, first_seq, since)


@dataclass(frozen=True, slots=True)
class _CollectionRow:
    """A collection's row in ``energy_collections``, written beside its entry."""

    @property
    def facts(self) -> JsonDict | None:
        return None  # the payload holds the facts; the row repeats them

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        collections_store.record(uow, entry.seq, entry.header.payload)


def collect_energy(
    registry: Registry,
    actor: str,
    key: str,
    cmd: c.CollectEnergy,
    *,
    cutoff: str,
    expiry_s: int,
    rule_set: str = "",
) -> Receipt:
    """Collect a holder's uncollected energy younger than ``cutoff``, lapsing the rest.

    One entry. The holder or its agent collects (``not_your_account``); an entry that
    would collect nothing is refused (``nothing_to_collect``). ``expiry_s`` and
    ``rule_set`` say where the cutoff came from, for the payload.
    """

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        account = account_of(uow, cmd.account_id)
        _require_own(uow, who, account)
        found = collectable(uow, account, cutoff)
        return plan_energy_collect(found, cutoff, expiry_s, rule_set)

    return registry.journal.execute(actor, key, cmd, planner, _CollectionRow())
