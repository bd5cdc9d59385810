"""Each plan_* builder: the postings it records and the requests it refuses."""

from __future__ import annotations

import pytest

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.ledger.journal import EntryHeader, JsonDict
from pctrade.ledger.model import (
    CASH_ASSET,
    Account,
    Batch,
    Denomination,
    HolderType,
    Party,
    Role,
    State,
    SystemAccount,
)
from pctrade.ledger.operations import (
    FreezeReason,
    HoldChange,
    OpType,
    Retirement,
    hold_changes,
    holds_payload,
    plan_cancel,
    plan_cash,
    plan_correct,
    plan_freeze,
    plan_genesis,
    plan_issue,
    plan_open_accounts,
    plan_retire,
    plan_surrender,
    plan_transfer,
    plan_unfreeze,
)
from pctrade.ledger.postings import Posting, Postings

CREDIT = 3
ALICE = Account(1000, HolderType.INDIVIDUAL, "alice")
BOB = Account(1001, HolderType.INDIVIDUAL, "bob")
EMITTER = Account(1002, HolderType.KEY_EMITTER, "steel")
FEES = Account(SystemAccount.FEES, HolderType.SYSTEM, "registry")
DENOM = Denomination.parse("PCER-GD-AFF0007-2026Q3-001")


def test_open_accounts_opens_one_account_per_holding_role() -> None:
    parties = [
        Party("alice", Role.INDIVIDUAL, "Alice"),
        Party("verif", Role.VERIFIER, "V"),
        Party("plat", Role.PLATFORM, "P"),
    ]
    plan = plan_open_accounts(parties, 1000)
    assert [(a.account_id, a.owner, a.holder_type) for a in plan.accounts] == [
        (1000, "alice", HolderType.INDIVIDUAL),
        (1001, "plat", HolderType.PLATFORM),
    ]
    assert len(plan.postings) == 0
    assert plan.payload == {"parties": 3, "accounts": 2}


@pytest.mark.parametrize("party_id", ["", "has space", "x" * 65, "名字"])
def test_open_accounts_refuses_bad_party_ids(party_id: str) -> None:
    with pytest.raises(ValidationError) as err:
        plan_open_accounts([Party(party_id, Role.INDIVIDUAL, "n")], 1000)
    assert err.value.code == "bad_party"


def test_open_accounts_refuses_long_names_and_labels() -> None:
    with pytest.raises(ValidationError):
        plan_open_accounts([Party("a", Role.INDIVIDUAL, "n" * 201)], 1000)
    with pytest.raises(ValidationError) as err:
        plan_open_accounts([Party("a", Role.INDIVIDUAL, "n")], 1000, label="l" * 201)
    assert err.value.code == "too_long"


def test_open_accounts_records_the_checked_name() -> None:
    # A 200-character column drops trailing spaces on PostgreSQL; the hashed name must
    # be the one stored, so the plan records it stripped.
    plan = plan_open_accounts([Party("a", Role.INDIVIDUAL, " " + "n" * 200 + "  ")], 1000)
    assert plan.parties[0].name == "n" * 200


def test_issue_moves_the_total_out_of_the_issuance_account() -> None:
    plan = plan_issue(Batch(CREDIT, DENOM, 30, 0), [(1000, 10), (1001, 20)])
    assert list(plan.postings) == [
        Posting(SystemAccount.ISSUANCE, CREDIT, State.SOURCE, -30),
        Posting(1000, CREDIT, State.AVAILABLE, 10),
        Posting(1001, CREDIT, State.AVAILABLE, 20),
    ]
    assert plan.op_type == OpType.ISSUE
    assert plan.payload["batch"]["issued_g"] == 30


@pytest.mark.parametrize(
    ("allocations", "issued", "code"),
    [
        ([], 0, "missing_field"),
        ([(1000, 0)], 0, "non_positive"),
        ([(1000, -5), (1001, 10)], 5, "non_positive"),
        ([(1000, 10)], 11, "unbalanced"),
    ],
)
def test_issue_refuses_bad_allocations(
    allocations: list[tuple[int, int]], issued: int, code: str
) -> None:
    with pytest.raises(ValidationError) as err:
        plan_issue(Batch(CREDIT, DENOM, issued, 0), allocations)
    assert err.value.code == code


def test_issue_refuses_a_total_beyond_int64() -> None:
    half = 2**62
    with pytest.raises(ValidationError) as err:
        plan_issue(Batch(CREDIT, DENOM, 2 * half, 0), [(1000, half), (1001, half)])
    assert err.value.code == "out_of_range"


def test_transfer_moves_available_units() -> None:
    plan = plan_transfer(ALICE, BOB, CREDIT, 7)
    assert list(plan.postings) == [
        Posting(1000, CREDIT, State.AVAILABLE, -7),
        Posting(1001, CREDIT, State.AVAILABLE, 7),
    ]


@pytest.mark.parametrize(
    ("dst", "asset", "quantity", "code"),
    [
        (BOB, CREDIT, 0, "non_positive"),
        (BOB, CREDIT, -1, "non_positive"),
        (BOB, CREDIT, 2**63, "out_of_range"),
        (ALICE, CREDIT, 1, "same_account"),
        (FEES, CREDIT, 1, "bad_account"),
    ],
)
def test_transfer_refuses_bad_requests(dst: Account, asset: int, quantity: int, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        plan_transfer(ALICE, dst, asset, quantity)
    assert err.value.code == code


def test_cash_may_be_transferred_to_the_fee_account() -> None:
    assert len(plan_transfer(ALICE, FEES, CASH_ASSET, 1).postings) == 2


def test_freeze_moves_available_to_frozen_and_opens_a_hold() -> None:
    plan = plan_freeze(ALICE, CREDIT, 4, FreezeReason.ORDER, " order-1 ")
    assert list(plan.postings) == [
        Posting(1000, CREDIT, State.AVAILABLE, -4),
        Posting(1000, CREDIT, State.FROZEN, 4),
    ]
    assert plan.hold is not None
    assert (plan.hold.hold_id, plan.hold.delta, plan.hold.reference) == (None, 4, "order-1")


def test_freeze_needs_a_reference() -> None:
    with pytest.raises(ValidationError) as err:
        plan_freeze(ALICE, CREDIT, 4, FreezeReason.ORDER, "  ")
    assert err.value.code == "missing_field"


def test_unfreeze_releases_the_rest_of_a_hold_by_default() -> None:
    plan = plan_unfreeze(77, 1000, CREDIT, remaining=6, quantity=None)
    assert list(plan.postings) == [
        Posting(1000, CREDIT, State.FROZEN, -6),
        Posting(1000, CREDIT, State.AVAILABLE, 6),
    ]
    assert plan.hold is not None
    assert (plan.hold.hold_id, plan.hold.delta) == (77, -6)


def test_unfreezing_more_than_held_is_refused() -> None:
    with pytest.raises(Conflict) as err:
        plan_unfreeze(77, 1000, CREDIT, remaining=6, quantity=7)
    assert err.value.code == "exceeds_hold"


@pytest.mark.parametrize("quantity", [None, 1, 0])
def test_releasing_a_released_hold_is_a_state_not_a_quantity(quantity: int | None) -> None:
    with pytest.raises(Conflict) as err:
        plan_unfreeze(77, 1000, CREDIT, remaining=0, quantity=quantity)
    assert err.value.code == "hold_released"


def test_surrender_is_for_key_emitters_and_credits_only() -> None:
    plan = plan_surrender(EMITTER, CREDIT, 5, "2026")
    assert list(plan.postings)[1] == Posting(1002, CREDIT, State.SURRENDERED, 5)
    with pytest.raises(Conflict) as err:
        plan_surrender(ALICE, CREDIT, 5, "2026")
    assert err.value.code == "not_an_emitter"
    with pytest.raises(ValidationError) as err:
        plan_surrender(EMITTER, CASH_ASSET, 5, "2026")
    assert err.value.code == "bad_asset"


TOKEN = "a" * 26


def test_retire_records_beneficiary_reason_and_the_certificate_token() -> None:
    r = Retirement("Alice", "offset my flights", "CN-GD", "2026")
    plan = plan_retire(ALICE, CREDIT, 5, r, certificate_token=TOKEN)
    assert list(plan.postings)[1] == Posting(1000, CREDIT, State.RETIRED, 5)
    assert plan.payload["beneficiary"] == "Alice"
    assert plan.payload["jurisdiction"] == "CN-GD"
    assert plan.payload["certificate_token"] == TOKEN
    # Not chosen, so the public certificate withholds the name.
    assert plan.payload["publish_beneficiary"] is False


def test_a_retirement_needs_a_well_formed_certificate_token() -> None:
    with pytest.raises(ValidationError):
        plan_retire(ALICE, CREDIT, 5, Retirement("A", "why"), certificate_token="RC-1")


@pytest.mark.parametrize(
    ("retirement", "asset", "code"),
    [
        (Retirement("", "why"), CREDIT, "missing_field"),
        (Retirement("A", ""), CREDIT, "missing_field"),
        (Retirement("A", "x" * 513), CREDIT, "too_long"),
        (Retirement("A", "why", "Guangdong"), CREDIT, "bad_jurisdiction"),
        (Retirement("A", "why"), CASH_ASSET, "bad_asset"),
    ],
)
def test_retire_refuses_bad_requests(retirement: Retirement, asset: int, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        plan_retire(ALICE, asset, 5, retirement, certificate_token=TOKEN)
    assert err.value.code == code


def test_cancel_moves_to_cancelled_and_refuses_cash() -> None:
    plan = plan_cancel(ALICE, CREDIT, 5, "invalid project")
    assert list(plan.postings)[1] == Posting(1000, CREDIT, State.CANCELLED, 5)
    with pytest.raises(ValidationError):
        plan_cancel(ALICE, CASH_ASSET, 5, "why")


def test_deposit_and_withdrawal_mirror_each_other() -> None:
    dep = plan_cash(OpType.DEPOSIT, ALICE, 100, "bank-1")
    wd = plan_cash(OpType.WITHDRAW, ALICE, 100, "bank-2")
    assert list(dep.postings) == [
        Posting(SystemAccount.CASH_GATEWAY, CASH_ASSET, State.SOURCE, -100),
        Posting(1000, CASH_ASSET, State.AVAILABLE, 100),
    ]
    assert list(wd.postings) == list(dep.postings.negated())


def test_correct_negates_a_transfer() -> None:
    original = plan_transfer(ALICE, BOB, CREDIT, 7).postings
    plan = plan_correct(9, "transfer", original, "wrong recipient")
    assert list(plan.postings) == list(original.negated())
    assert plan.corrects == 9


@pytest.mark.parametrize("op", ["retire", "surrender", "cancel", "issue", "freeze", "correct"])
def test_terminal_and_other_operations_are_not_correctable(op: str) -> None:
    empty = Postings.of([])
    with pytest.raises(Conflict) as err:
        plan_correct(9, op, empty, "why")
    assert err.value.code == "not_correctable"


def test_genesis_opens_every_system_account() -> None:
    plan = plan_genesis()
    assert sorted(a.account_id for a in plan.accounts) == sorted(int(s) for s in SystemAccount)
    assert all(a.holder_type == HolderType.SYSTEM for a in plan.accounts)


def test_an_entrys_hold_changes_are_read_back_from_its_payload() -> None:
    def header(seq: int, op: str, payload: JsonDict) -> EntryHeader:
        return EntryHeader(seq, op, "a", "k", "h", "ts", payload)

    freeze = plan_freeze(ALICE, CREDIT, 30, FreezeReason.ORDER, "o-1")
    assert hold_changes(header(7, OpType.FREEZE, freeze.payload)) == [(7, 30)]
    release = plan_unfreeze(7, 1000, CREDIT, 30, 12)
    assert hold_changes(header(8, OpType.UNFREEZE, release.payload)) == [(7, -12)]
    changes = [HoldChange(None, 1000, CREDIT, 5), HoldChange(7, 1000, CREDIT, -3)]
    settled = {"holds": holds_payload(changes)}
    assert hold_changes(header(9, "settle_trade", settled)) == [(9, 5), (7, -3)]
    assert hold_changes(header(10, OpType.TRANSFER, {"quantity": 1})) == []
