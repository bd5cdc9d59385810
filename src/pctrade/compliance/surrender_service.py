"""Surrender (清缴) through the registry: ``Surrenders.surrender``.

An emitter (or its agent) surrenders allowances and offsets from its own account for
one period of one jurisdiction, in ONE ``compliance_surrender`` entry whatever the
number of batches (``compliance.surrendering``). The planner reads, under the journal's
head (so two surrenders of one obligation are checked one after the other):

- the rule set in force today in the jurisdiction (refused without a ``[compliance]``
  and an ``[offsets]`` section: ``no_rule``);
- the obligation: the confirmed verified emissions and the period's allocation, from
  the MRV side (``ObligationOf``: ``compliance.queries.obligation``);
- what has counted so far (the obligation's last surrender row);

and ``compliance.surrender.check_surrender`` decides, refusing the whole surrender with
the first rule a unit breaks (every refusal its own code); then each batch must be
available in the account. A refusal writes nothing; a replay of the key answers the
same entry. The rows beside the entry are written from the entry itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from pctrade.compliance import surrender_commands as c
from pctrade.compliance.sql import surrenders as db
from pctrade.compliance.surrender import (
    Obligation,
    Surrendered,
    Unit,
    check_surrender,
    nonlocal_cap_g,
    offset_cap_g,
)
from pctrade.compliance.surrendering import Decision, Line, plan_compliance_surrender
from pctrade.kernel.errors import Conflict, NotFound, ValidationError
from pctrade.ledger.journal import Entry
from pctrade.ledger.model import Account, Batch, HolderType, Party
from pctrade.ledger.operations import Plan, checked_text
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import (
    Receipt,
    Registry,
    RowsBeside,
    account_of,
    require_held,
    require_holder,
)
from pctrade.rules import RuleBook
from pctrade.rules.model import Compliance, Offsets, RuleSet, period_years

# The obligation of an emitter's account for a jurisdiction's period, as MRV knows it
# (``compliance.queries.obligation``): verified emissions None until confirmed.
ObligationOf = Callable[[UnitOfWork, int, str, str], Obligation]


def compliance_rules(rule_set: RuleSet) -> tuple[Offsets, Compliance]:
    if rule_set.compliance is None or rule_set.offsets is None:
        raise Conflict(
            f"the rule set {rule_set.version} sets no compliance or offset rules",
            code="no_rule",
        )
    return rule_set.offsets, rule_set.compliance


def so_far(uow: UnitOfWork, account_id: int, jurisdiction: str, period: str) -> Surrendered:
    """What has counted towards the obligation: the totals after its last surrender."""
    row = db.last_of(uow, account_id, jurisdiction, period)
    if row is None:
        return Surrendered()
    return Surrendered(
        int(row["after_allowances_g"]),
        int(row["after_offsets_g"]),
        int(row["after_nonlocal_offsets_g"]),
    )


def _unit(batch: Batch, quantity_g: int) -> Unit:
    d = batch.denomination
    # The methodology the issuer stated (None: unstated, which a rule set admitting only
    # some methodologies refuses: ``methodology_not_admitted``).
    return Unit(
        str(d.instrument), d.jurisdiction, int(d.vintage[:4]), batch.methodology, quantity_g
    )


def _write(uow: UnitOfWork, entry: Entry) -> None:
    p = entry.header.payload
    units = p["units"]
    db.insert(
        uow,
        {
            "entry_seq": entry.seq,
            "account_id": p["account"],
            "jurisdiction": p["jurisdiction"],
            "period": p["period"],
            "rule_set": p["rule_set"],
            "allowances_g": sum(int(u["quantity_g"]) for u in units if not u["offset"]),
            "offsets_g": sum(int(u["quantity_g"]) for u in units if u["offset"]),
            "after_allowances_g": p["after"]["allowances_g"],
            "after_offsets_g": p["after"]["offsets_g"],
            "after_nonlocal_offsets_g": p["after"]["nonlocal_offsets_g"],
            "ts": entry.header.ts,
        },
        [
            {
                "entry_seq": entry.seq,
                "asset_id": u["asset_id"],
                "instrument": u["instrument"],
                "quantity_g": u["quantity_g"],
                "offset": u["offset"],
            }
            for u in units
        ],
    )


def emitter_account(uow: UnitOfWork, who: Party, account_id: int) -> Account:
    account = account_of(uow, account_id)
    require_holder(uow, who, account)
    if account.holder_type != HolderType.KEY_EMITTER:
        raise Conflict("only key emitters surrender units", code="not_an_emitter")
    return account


class Surrenders:
    def __init__(self, registry: Registry, rules: RuleBook, obligation_of: ObligationOf) -> None:
        self.registry = registry
        self.store = registry.store
        self.rules = rules
        self.obligation_of = obligation_of

    def today(self) -> date:
        return self.registry.clock().date()

    def surrender(self, actor: str, key: str, cmd: c.SurrenderUnits) -> Receipt:
        if not cmd.batches or len(cmd.batches) != len(cmd.quantities_g):
            raise ValidationError("a surrender names each batch with its grams", code="bad_request")
        checked_text(cmd.period, "compliance period", 16)
        period_years(cmd.period)
        on = self.today()
        rule_set = self.rules.in_force(cmd.jurisdiction, on)
        offsets, compliance = compliance_rules(rule_set)

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            uow.head  # noqa: B018 - the head first: one obligation's surrenders in turn
            account = emitter_account(uow, who, cmd.account_id)
            lines = [
                self._line(uow, name, q)
                for name, q in zip(cmd.batches, cmd.quantities_g, strict=True)
            ]
            obligation = self.obligation_of(uow, account.account_id, cmd.jurisdiction, cmd.period)
            before = so_far(uow, account.account_id, cmd.jurisdiction, cmd.period)
            units = [line.unit for line in lines]
            after = check_surrender(offsets, compliance, obligation, before, units, on)
            for line in lines:
                require_held(uow, account, line.asset_id, line.unit.quantity_g)
            decision = Decision(
                jurisdiction=cmd.jurisdiction,
                period=cmd.period,
                rule_set=rule_set.version,
                rule_set_digest=rule_set.digest,
                obligation=obligation,
                offset_cap_g=offset_cap_g(offsets, obligation),
                nonlocal_cap_g=nonlocal_cap_g(offsets, compliance, obligation),
                offset_types=offsets.types,
                before=before,
                after=after,
            )
            return plan_compliance_surrender(account.account_id, lines, decision)

        return self.registry.journal.execute(actor, key, cmd, planner, RowsBeside(_write))

    @staticmethod
    def _line(uow: UnitOfWork, name: str, quantity_g: int) -> Line:
        batch = uow.batch_named(name)
        if batch is None:
            raise NotFound(f"no batch {name}", code="unknown_batch")
        return Line(batch.asset_id, batch.name, _unit(batch, quantity_g))
