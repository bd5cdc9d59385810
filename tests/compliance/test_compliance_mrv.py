"""Emissions reports (MRV) through the service, on SQLite and PostgreSQL (issue 15).

An emitter submits its year by source stream, a verifier that is neither the emitter
nor an affiliate it named verifies or sends it back, the regulator confirms the
verified figure, and that figure is the obligation. Every step is one entry citing the
rule set in force in the report's jurisdiction.
"""

from __future__ import annotations

from typing import Any

import pytest
from compliance_world import AFFILIATED, REGULATOR, VERIFIER, ComplianceWorld, build, new_key

from pctrade.bootstrap.contexts import verify
from pctrade.compliance import commands as cc
from pctrade.compliance import queries
from pctrade.compliance.emissions import SourceStream
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.sql.store import SqlStore
from table_snapshot import everything

STREAMS = (
    SourceStream("coal", 1_000_000, "kg", 2_661),  # 2.661 kg CO2 per kg of coal → mg
    SourceStream("grid", 3_500_000, "kWh", 570_300),  # 0.5703 t/MWh
)
EXPECTED_G = -(-(1_000_000 * 2_661 + 3_500_000 * 570_300) // 1_000)


def refused(w: ComplianceWorld, code: str, call: Any, *args: Any) -> None:
    before = everything(w.store)
    with pytest.raises(PctradeError) as exc:
        call(*args)
    assert exc.value.code == code, exc.value.message
    assert everything(w.store) == before


@pytest.fixture
def world(any_store: SqlStore) -> ComplianceWorld:
    return build(any_store)


@pytest.mark.parametrize("jurisdiction", ["CN", "GD"])
def test_a_report_is_submitted_verified_and_confirmed_each_step_an_entry(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    a = world.accounts["plant-a"]
    rule_set = world.service.rule_set(jurisdiction)
    submitted = world.submit("plant-a", jurisdiction, "2025", STREAMS, (AFFILIATED,))
    report_id = submitted.payload["report_id"]
    assert report_id == f"ER-{jurisdiction}-2025-{a}"
    assert submitted.payload["figure_g"] == EXPECTED_G
    with world.store.reader() as uow:
        assert queries.obligation(uow, a, jurisdiction, "2025").verified_emissions_g is None
    verified = world.verify(report_id, EXPECTED_G - 7)
    confirmed = world.confirm(report_id)
    for receipt, step in ((submitted, "submit"), (verified, "verify"), (confirmed, "confirm")):
        assert receipt.entry.header.op_type == "emissions_report"
        assert receipt.entry.posting_count == 0
        assert receipt.payload["step"] == step
        assert receipt.payload["rule_set"] == rule_set.version
        assert receipt.payload["rule_set_digest"] == rule_set.digest
    assert confirmed.payload["figure_g"] == EXPECTED_G - 7
    with world.store.reader() as uow:
        obligation = queries.obligation(uow, a, jurisdiction, "2025")
    assert obligation.verified_emissions_g == EXPECTED_G - 7
    view = queries.report(world.store, "plant-a", report_id)
    assert [s["step"] for s in view["steps"]] == ["submit", "verify", "confirm"]
    assert view["state"] == "confirmed" and view["verifier"] == VERIFIER
    assert [s["name"] for s in view["streams"]] == ["coal", "grid"]
    assert verify(world.store).ok


@pytest.mark.parametrize("jurisdiction", ["CN", "GD"])
def test_activity_data_is_whole_and_never_negative(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    def submit(*streams: SourceStream) -> None:
        world.submit("plant-a", jurisdiction, "2025", streams)

    refused(world, "negative_activity", submit, SourceStream("coal", -1, "kg", 2_661))
    refused(world, "not_integer", submit, SourceStream("coal", 2.5, "kg", 2_661))  # type: ignore[arg-type]
    refused(world, "not_integer", submit, SourceStream("coal", True, "kg", 2_661))  # type: ignore[arg-type]
    refused(world, "negative_activity", submit, SourceStream("coal", 5, "kg", -2))
    refused(world, "no_streams", submit)
    refused(world, "duplicate_stream", submit, STREAMS[0], STREAMS[0])
    refused(world, "too_long", submit, SourceStream("c" * 101, 5, "kg", 2))
    refused(world, "bad_period", world.submit, "plant-a", jurisdiction, "20x5", STREAMS)


def test_only_the_holder_of_a_key_emitter_account_reports(world: ComplianceWorld) -> None:
    cmd = cc.SubmitReport("CN", "2025", world.accounts["plant-a"], STREAMS)
    refused(world, "not_owner", world.service.submit_report, "plant-b", new_key(), cmd)
    individual = cc.SubmitReport("CN", "2025", world.accounts["alice"], STREAMS)
    refused(world, "not_an_emitter", world.service.submit_report, "alice", new_key(), individual)


@pytest.mark.parametrize("jurisdiction", ["CN", "GD"])
def test_an_affiliated_verifier_may_not_verify_or_send_back(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    receipt = world.submit("plant-a", jurisdiction, "2025", STREAMS, (AFFILIATED,))
    report_id = receipt.payload["report_id"]
    refused(world, "verifier_affiliated", world.verify, report_id, EXPECTED_G, AFFILIATED)
    back = cc.SendBackReport(report_id, "figures missing")
    refused(world, "verifier_affiliated", world.service.send_back, AFFILIATED, new_key(), back)
    refused(world, "forbidden", world.verify, report_id, EXPECTED_G, "plant-b")  # not a verifier
    refused(world, "forbidden", world.verify, report_id, EXPECTED_G, REGULATOR)
    world.verify(report_id, EXPECTED_G)  # an independent verifier may


def test_a_report_sent_back_is_submitted_again_and_steps_keep_their_turn(
    world: ComplianceWorld,
) -> None:
    receipt = world.submit("plant-b", "GD", "2025", STREAMS)
    report_id = receipt.payload["report_id"]
    refused(world, "wrong_report_state", world.confirm, report_id)
    back = cc.SendBackReport(report_id, "the grid meter's readings are missing")
    refused(
        world,
        "missing_reason",
        world.service.send_back,
        VERIFIER,
        new_key(),
        cc.SendBackReport(report_id, "  "),
    )
    world.service.send_back(VERIFIER, new_key(), back)
    refused(world, "wrong_report_state", world.verify, report_id, EXPECTED_G)
    streams = (*STREAMS, SourceStream("gas", 10_000, "Nm3", 2_162))
    again = world.submit("plant-b", "GD", "2025", streams)
    assert again.payload["version"] == 2
    refused(world, "wrong_report_state", world.submit, "plant-b", "GD", "2025", streams)
    refused(world, "negative_activity", world.verify, report_id, -1)
    refused(world, "unknown_report", world.verify, "ER-GD-2025-999999", 5)
    world.verify(report_id, again.payload["figure_g"])
    world.confirm(report_id)
    refused(world, "wrong_report_state", world.confirm, report_id)
    refused(world, "wrong_report_state", world.submit, "plant-b", "GD", "2025", streams)
    view = queries.report(world.store, "plant-b", report_id)
    assert [s["step"] for s in view["steps"]] == [
        "submit",
        "send_back",
        "submit",
        "verify",
        "confirm",
    ]
    assert len(view["streams"]) == 3
    assert verify(world.store).ok


def test_a_report_is_read_by_its_emitter_verifiers_and_authorities(world: ComplianceWorld) -> None:
    report_id = world.submit("plant-a", "CN", "2025", STREAMS).payload["report_id"]
    for reader in ("plant-a", VERIFIER, REGULATOR):
        assert queries.report(world.store, reader, report_id)["report_id"] == report_id
    with pytest.raises(PctradeError) as exc:
        queries.report(world.store, "plant-b", report_id)
    assert exc.value.code == "forbidden"
