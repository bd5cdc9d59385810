"""A batch's methodology is recorded at issuance and checked at surrender (issue 15), on
SQLite and PostgreSQL.

The registry records the methodology an issuer states for a batch (in the issuing
entry's ``batch`` payload and the ``batches`` row, migration 0024); a rule set that
admits only some methodologies (``[compliance] offset_methodologies``) refuses an offset
of any other, or of none stated, with ``methodology_not_admitted``, and nothing moves.
Two jurisdictions with different parameters: Guangdong admits only the afforestation
methodology CCER-14-001-V01, Hubei only the forest management one CCER-14-003-V01.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from surrender_world import CCER, T, World, build, new_key

from pctrade.compliance.surrender_service import Surrenders
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import RuleBook
from pctrade.rules.model import RuleSet

AFFORESTATION = "CCER-14-001-V01"
MANAGEMENT = "CCER-14-003-V01"
ADMITTED = {"GD": AFFORESTATION, "HB": MANAGEMENT}
BATCH_OF = {
    AFFORESTATION: "CCER-CN-AFF0008-2024-001",
    MANAGEMENT: "CCER-CN-FMG0002-2024-001",
}
EMITTER = {"GD": "gd-power", "HB": "hb-steel"}


def _admitting(r: RuleSet) -> RuleSet:
    if r.jurisdiction not in ADMITTED or r.compliance is None:
        return r
    compliance = replace(r.compliance, offset_methodologies=(ADMITTED[r.jurisdiction],))
    return replace(r, compliance=compliance)


@pytest.fixture
def world(any_store: SqlStore) -> World:
    w = build(any_store)
    gd, hb = w.accounts["gd-power"], w.accounts["hb-steel"]
    for methodology, name in BATCH_OF.items():
        cmd = c.Issue(name, [gd, hb], [20 * T, 20 * T], methodology=methodology)
        w.app.registry.issue("reg", new_key(), cmd)
    rules = RuleBook(_admitting(r) for r in w.app.rules.rule_sets())
    w.surrenders = Surrenders(w.app.registry, rules, w.obligations)
    for j, who in EMITTER.items():
        w.obligations.set(w.accounts[who], j, "2025", 1_000, 1_000)
    return w


def test_the_registry_records_a_batchs_stated_methodology(world: World) -> None:
    with world.store.reader() as uow:
        for methodology, name in BATCH_OF.items():
            batch = uow.batch_named(name)
            assert batch is not None and batch.methodology == methodology
            entry = uow.entry(batch.issued_seq)
            assert entry is not None
            assert entry.header.payload["batch"]["methodology"] == methodology
        unstated = uow.batch_named(CCER)
        assert unstated is not None and unstated.methodology is None
        entry = uow.entry(unstated.issued_seq)
        assert entry is not None and "methodology" not in entry.header.payload["batch"]


def test_a_malformed_methodology_is_refused(world: World) -> None:
    cmd = c.Issue("CCER-CN-AFF0009-2024-001", [world.accounts["gd-power"]], [T], methodology="a b")
    with pytest.raises(PctradeError) as refused:
        world.app.registry.issue("reg", new_key(), cmd)
    assert refused.value.code == "bad_methodology"


@pytest.mark.parametrize("j", ["GD", "HB"])
def test_an_offset_of_a_methodology_not_admitted_is_refused_with_its_code(
    world: World, j: str
) -> None:
    w, who = world, EMITTER[j]
    other = MANAGEMENT if ADMITTED[j] == AFFORESTATION else AFFORESTATION
    head = w.head()
    for name in (BATCH_OF[other], CCER):  # another methodology, and none stated
        with pytest.raises(PctradeError) as refused:
            w.surrender(j, "2025", {name: 10 * T})
        assert refused.value.code == "methodology_not_admitted"
        assert w.head() == head
        assert w.balance(who, name, State.SURRENDERED) == 0
    receipt = w.surrender(j, "2025", {BATCH_OF[ADMITTED[j]]: 10 * T})
    (unit,) = receipt.payload["units"]
    assert unit["methodology"] == ADMITTED[j]
    assert w.balance(who, BATCH_OF[ADMITTED[j]], State.SURRENDERED) == 10 * T
    w.verify_ok()
