"""Green-energy plans: what a credit, a spend and an expiry record, and what is refused.

Collection's plan and replay are in ``test_energy_collect_plans.py``.
"""

from __future__ import annotations

import pytest

from pctrade.bootstrap.contexts import CONTEXTS
from pctrade.energy.invariants import check_lines
from pctrade.energy.model import (
    EnergyCredit,
    EnergyLine,
    EnergyOp,
    lines_digest,
    plan_energy_credit,
    plan_energy_expire,
    plan_energy_spend,
)
from pctrade.kernel.errors import PctradeError, TerminalState, ValidationError
from pctrade.ledger.extensions import replay_for
from pctrade.ledger.invariants import Replay, StoredEntry
from pctrade.ledger.journal import GENESIS_HASH, EntryHeader, entry_hash, opened_digest
from pctrade.ledger.model import (
    ENERGY_ASSET,
    Account,
    HolderType,
    State,
    SystemAccount,
    asset_name,
)
from pctrade.ledger.operations import (
    FreezeReason,
    Plan,
    Retirement,
    plan_cancel,
    plan_freeze,
    plan_retire,
    plan_surrender,
    plan_transfer,
)
from pctrade.ledger.postings import Posting, Postings

ALICE = Account(1000, HolderType.INDIVIDUAL, "alice")
BOB = Account(1001, HolderType.INDIVIDUAL, "bob")
EMITTER = Account(1002, HolderType.KEY_EMITTER, "steel")
DAY = "2026-11-24"


def line(account: int, behaviour: str, credited_g: int, person: str = "p") -> EnergyLine:
    return EnergyLine(
        DAY, account, person, "metro", "metro/v1", behaviour, "m", 1, 12_000, 46_800,
        credited_g * 1_000_000, 0, 0, credited_g, "",
    )  # fmt: skip


def credit(*lines: EnergyLine) -> EnergyCredit:
    return EnergyCredit(DAY, ("metro/v1", "bus/v1"), 1_700_000_000_000, lines)


def test_a_credit_records_its_kept_files_once_in_name_order_and_only_if_any() -> None:
    from pctrade.energy.commands import CreditEnergy
    from pctrade.energy.model import KeptFile
    from pctrade.ledger.journal import request_hash

    plain = credit(line(ALICE.account_id, "metro_km", 5))
    assert "kept" not in plan_energy_credit(plain).payload
    # A credit without files keeps the fingerprint (and so the key) it always had.
    assert CreditEnergy(plain).fingerprint() == request_hash(
        {"command": "CreditEnergy", "day": DAY, "methodologies": ["bus/v1", "metro/v1"],
         "as_of_ms": 1_700_000_000_000, "lines_digest": plain.digest}
    )  # fmt: skip
    b, a = KeptFile("behaviour/b.json", "2" * 64), KeptFile("behaviour/a.parquet", "1" * 64)
    with_files = EnergyCredit(DAY, plain.methodologies, plain.as_of_ms, plain.lines, [b, a, b])
    assert plan_energy_credit(with_files).payload["kept"] == [
        {"name": "behaviour/a.parquet", "sha256": "1" * 64},
        {"name": "behaviour/b.json", "sha256": "2" * 64},
    ]
    assert CreditEnergy(with_files).fingerprint() != CreditEnergy(plain).fingerprint()


def test_energy_credit_posts_each_persons_total_out_of_the_source() -> None:
    plan = plan_energy_credit(
        credit(line(1000, "metro_km", 300), line(1000, "metro_trip", 137), line(1001, "x", 52))
    )
    assert plan.op_type == EnergyOp.CREDIT
    assert list(plan.postings) == [
        Posting(SystemAccount.ISSUANCE, ENERGY_ASSET, State.SOURCE, -489),
        Posting(1000, ENERGY_ASSET, State.UNCOLLECTED, 437),
        Posting(1001, ENERGY_ASSET, State.UNCOLLECTED, 52),
    ]
    assert plan.payload["lines_digest"] == lines_digest(plan.lines)
    assert plan.payload["methodologies"] == ["bus/v1", "metro/v1"]
    assert plan.payload["day"] == DAY and plan.payload["credited_g"] == 489


def test_energy_credit_keeps_zero_gram_lines_on_the_statement() -> None:
    plan = plan_energy_credit(credit(line(1000, "a", 5), line(1001, "b", 0)))
    assert len(plan.lines) == 2
    assert [p.account_id for p in plan.postings] == [SystemAccount.ISSUANCE, 1000]


def test_energy_credit_refuses_lines_of_another_day_or_nothing_to_credit() -> None:
    other_day = line(1000, "a", 5)._replace(day="2026-11-23")
    with pytest.raises(ValidationError):
        plan_energy_credit(credit(other_day))
    with pytest.raises(ValidationError):
        plan_energy_credit(credit(line(1000, "a", 0)))


def test_lines_digest_changes_with_any_field_or_the_order() -> None:
    a, b = line(1000, "a", 5), line(1001, "b", 7)
    assert lines_digest([a, b]) != lines_digest([b, a])
    assert lines_digest([a]) != lines_digest([a._replace(factor_ug_per_unit=46_801)])


@pytest.mark.parametrize(
    "refused",
    [
        lambda: plan_transfer(ALICE, BOB, ENERGY_ASSET, 1),
        lambda: plan_freeze(ALICE, ENERGY_ASSET, 1, FreezeReason.ORDER, "o-1"),
        lambda: plan_surrender(EMITTER, ENERGY_ASSET, 1, "2026"),
        lambda: plan_retire(
            ALICE, ENERGY_ASSET, 1, Retirement("A", "offset"), certificate_token="a" * 26
        ),
        lambda: plan_cancel(ALICE, ENERGY_ASSET, 1, "fraud"),
    ],
    ids=["transfer", "freeze", "surrender", "retire", "cancel"],
)
def test_energy_is_never_transferred_frozen_surrendered_retired_or_cancelled(
    refused: object,
) -> None:
    with pytest.raises(ValidationError) as info:
        refused()  # type: ignore[operator]
    assert info.value.code == "not_tradable"


def test_energy_spend_moves_available_to_spent_with_purpose() -> None:
    plan = plan_energy_spend(ALICE, 40, "sink_sponsorship", "AFF0007-tree-12")
    assert list(plan.postings) == [
        Posting(1000, ENERGY_ASSET, State.AVAILABLE, -40),
        Posting(1000, ENERGY_ASSET, State.SPENT, 40),
    ]
    assert plan.payload["purpose"] == "sink_sponsorship"
    with pytest.raises(ValidationError):
        plan_energy_spend(ALICE, 0, "sink_sponsorship", "r")
    with pytest.raises(ValidationError):
        plan_energy_spend(ALICE, 1, " ", "r")


@pytest.mark.parametrize("state", [State.SPENT, State.EXPIRED])
def test_spent_and_expired_energy_never_moves_again(state: State) -> None:
    back = Postings.of(
        [Posting(1000, ENERGY_ASSET, state, -5), Posting(1000, ENERGY_ASSET, State.AVAILABLE, 5)]
    )
    with pytest.raises(TerminalState):
        Plan(EnergyOp.SPEND, {}, back)


def test_energy_expire_debits_uncollected_and_credits_expired_per_account() -> None:
    plan = plan_energy_expire([1000, 1001], [70, 3], "2026-11-27T00:00:00.000000Z", 259_200)
    net = plan.postings.net_by_key()
    assert net == {
        (1000, ENERGY_ASSET, State.UNCOLLECTED): -70,
        (1001, ENERGY_ASSET, State.UNCOLLECTED): -3,
        (1000, ENERGY_ASSET, State.EXPIRED): 70,
        (1001, ENERGY_ASSET, State.EXPIRED): 3,
    }
    assert plan.payload["expired_g"] == 73
    with pytest.raises(PctradeError):
        plan_energy_expire([1000], [0], "c", 1)


def test_energy_asset_is_named_ge() -> None:
    assert asset_name(ENERGY_ASSET, {}) == "GE"


def _stored(plan_lines: tuple[EnergyLine, ...], stored_lines: tuple[EnergyLine, ...]) -> Replay:
    plan = plan_energy_credit(credit(*plan_lines))
    header = EntryHeader(1, str(plan.op_type), "registry", "k", "r", "t", plan.payload)
    h = entry_hash(GENESIS_HASH, header, plan.postings.digest(), opened_digest((), ()))
    replay = replay_for(CONTEXTS)
    replay.feed(StoredEntry(header, GENESIS_HASH, h, plan.postings))
    # The lines are the energy context's audit's to check, beside the replay.
    for problem in check_lines(1, plan.payload, stored_lines):
        replay.flag(problem.code, problem.message, problem.seq)
    return replay


def test_replay_recomputes_the_lines_digest_and_flags_an_altered_line() -> None:
    lines = (line(1000, "a", 5), line(1001, "b", 7))
    assert _stored(lines, lines).ok
    tampered = (lines[0]._replace(credited_g=50), lines[1])
    codes = [p.code for p in _stored(lines, tampered).problems]
    assert codes == ["energy_lines_mismatch"]
