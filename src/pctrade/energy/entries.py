"""The energy context's journal entries: credit a day, release a held event, spend, expire.

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

from pctrade.energy import commands as c
from pctrade.energy.model import (
    EnergyCredit,
    EnergyLine,
    plan_energy_credit,
    plan_energy_expire,
    plan_energy_spend,
)
from pctrade.energy.sql import lines as lines_store
from pctrade.kernel.errors import Conflict, NotFound
from pctrade.ledger import access
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.model import ENERGY_ASSET, Party, Role
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
        plan = plan_energy_credit(cmd.credit)
        _recipients_exist(uow, plan, "some energy recipients have no account")
        require_fits(uow, plan)
        return plan

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
    """Consume energy exactly once; the holder or its agent spends it.

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
    """Expire, FIFO, all energy that appeared at or before ``cmd.cutoff``.

    Returns None when nothing is left to expire (no entry is written).
    """

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        access.require_role(who, (Role.REGISTRY_OPERATOR,), "expire green energy")
        ids, amounts = lines_store.expirable(uow, cmd.cutoff)
        if not ids:
            raise _NothingToExpire()
        return plan_energy_expire(ids, amounts, cmd.cutoff, cmd.expiry_s, cmd.rule_set)

    try:
        return registry.journal.execute(actor, key, cmd, planner)
    except _NothingToExpire:
        return None
