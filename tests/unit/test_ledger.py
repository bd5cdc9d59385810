"""Postings: balanced per asset, never zero, terminal states never decrease."""

from __future__ import annotations

from array import array

import pytest

from pctrade.kernel.errors import InsufficientBalance, TerminalState, ValidationError
from pctrade.kernel.limits import INT64_MAX
from pctrade.ledger.model import CASH_ASSET, State, SystemAccount
from pctrade.ledger.postings import (
    BalanceKey,
    Posting,
    Postings,
    _sums_by_asset,
    apply_to,
    check_postings,
)

A, B = 1000, 1001
CREDIT = 7


def transfer(q: int = 5, asset: int = CREDIT) -> Postings:
    return Postings.of(
        [Posting(A, asset, State.AVAILABLE, -q), Posting(B, asset, State.AVAILABLE, q)]
    )


def test_balanced_postings_pass() -> None:
    check_postings(transfer())
    check_postings(Postings.of([]))


def test_unbalanced_postings_are_refused() -> None:
    p = Postings.of(
        [Posting(A, CREDIT, State.AVAILABLE, -5), Posting(B, CREDIT, State.AVAILABLE, 4)]
    )
    with pytest.raises(ValidationError) as err:
        check_postings(p)
    assert err.value.code == "unbalanced"


def test_balance_is_checked_per_asset_not_in_total() -> None:
    p = Postings.of(
        [
            Posting(A, CREDIT, State.AVAILABLE, -5),
            Posting(B, CASH_ASSET, State.AVAILABLE, 5),
        ]
    )
    with pytest.raises(ValidationError) as err:
        check_postings(p)
    assert err.value.code == "unbalanced"


def test_a_zero_posting_is_refused() -> None:
    p = Postings.of(
        [Posting(A, CREDIT, State.AVAILABLE, 0), Posting(B, CREDIT, State.AVAILABLE, 0)]
    )
    with pytest.raises(ValidationError) as err:
        check_postings(p)
    assert err.value.code == "non_positive"


@pytest.mark.parametrize("state", [State.SURRENDERED, State.RETIRED, State.CANCELLED])
def test_terminal_states_never_decrease(state: State) -> None:
    p = Postings.of([Posting(A, CREDIT, state, -5), Posting(A, CREDIT, State.AVAILABLE, 5)])
    with pytest.raises(TerminalState):
        check_postings(p)


@pytest.mark.parametrize("state", [State.SURRENDERED, State.RETIRED, State.CANCELLED])
def test_terminal_states_may_increase(state: State) -> None:
    check_postings(
        Postings.of([Posting(A, CREDIT, State.AVAILABLE, -5), Posting(A, CREDIT, state, 5)])
    )


def test_source_state_only_on_source_accounts() -> None:
    on_holder = Postings.of(
        [Posting(A, CREDIT, State.SOURCE, -5), Posting(B, CREDIT, State.AVAILABLE, 5)]
    )
    with pytest.raises(ValidationError) as err:
        check_postings(on_holder)
    assert err.value.code == "bad_state"
    source_as_available = Postings.of(
        [
            Posting(SystemAccount.ISSUANCE, CREDIT, State.AVAILABLE, -5),
            Posting(B, CREDIT, State.AVAILABLE, 5),
        ]
    )
    with pytest.raises(ValidationError):
        check_postings(source_as_available)
    check_postings(
        Postings.of(
            [
                Posting(SystemAccount.ISSUANCE, CREDIT, State.SOURCE, -5),
                Posting(B, CREDIT, State.AVAILABLE, 5),
            ]
        )
    )


def test_unknown_state_is_refused() -> None:
    p = transfer()
    p.states[0] = 8  # 5, 6 and 7 are spent, expired and uncollected (green energy)
    with pytest.raises(ValidationError) as err:
        check_postings(p)
    assert err.value.code == "bad_state"


def test_digest_is_stable() -> None:
    assert transfer().digest() == transfer().digest()
    assert len(transfer().digest()) == 64


@pytest.mark.parametrize("column", ["accounts", "assets", "states", "deltas"])
def test_digest_changes_with_any_column(column: str) -> None:
    p = transfer()
    getattr(p, column)[1] += 1
    assert p.digest() != transfer().digest()


def test_digest_depends_on_posting_order() -> None:
    p = transfer()
    swapped = Postings.of(reversed(list(p)))
    assert swapped.digest() != p.digest()


def test_fan_out_builds_source_and_recipients() -> None:
    source = Posting(SystemAccount.ISSUANCE, CREDIT, State.SOURCE, -6)
    p = Postings.fan_out(CREDIT, source, [A, B], [1, 5])
    assert list(p) == [
        source,
        Posting(A, CREDIT, State.AVAILABLE, 1),
        Posting(B, CREDIT, State.AVAILABLE, 5),
    ]
    check_postings(p)


def test_fan_out_refuses_length_mismatch() -> None:
    source = Posting(SystemAccount.ISSUANCE, CREDIT, State.SOURCE, -6)
    with pytest.raises(ValidationError):
        Postings.fan_out(CREDIT, source, [A, B], [6])


def test_negated_reverses_every_delta() -> None:
    assert [p.delta for p in transfer().negated()] == [5, -5]


def test_apply_to_moves_balances() -> None:
    balances: dict[BalanceKey, int] = {(A, CREDIT, State.AVAILABLE): 8}
    assert apply_to(balances, transfer(5)) == {
        (A, CREDIT, State.AVAILABLE): 3,
        (B, CREDIT, State.AVAILABLE): 5,
    }


def test_apply_to_refuses_a_negative_holding() -> None:
    with pytest.raises(InsufficientBalance):
        apply_to({(A, CREDIT, State.AVAILABLE): 4}, transfer(5))
    with pytest.raises(InsufficientBalance):
        apply_to({}, transfer(1))


def test_apply_to_lets_source_balances_go_negative() -> None:
    p = Postings.of(
        [
            Posting(SystemAccount.CASH_GATEWAY, CASH_ASSET, State.SOURCE, -9),
            Posting(A, CASH_ASSET, State.AVAILABLE, 9),
        ]
    )
    assert apply_to({}, p)[(SystemAccount.CASH_GATEWAY, CASH_ASSET, State.SOURCE)] == -9


def test_net_by_key_sums_repeated_keys() -> None:
    p = Postings.of(
        [
            Posting(A, CREDIT, State.AVAILABLE, -5),
            Posting(A, CREDIT, State.AVAILABLE, -2),
            Posting(B, CREDIT, State.AVAILABLE, 7),
        ]
    )
    assert p.net_by_key()[(A, CREDIT, State.AVAILABLE)] == -7


def test_posting_beyond_int64_cannot_be_built() -> None:
    with pytest.raises(ValidationError) as err:
        transfer(INT64_MAX + 1)
    assert err.value.code == "out_of_range"


@pytest.mark.parametrize(
    "asset_runs",
    [
        [(1, 3), (CASH_ASSET, 5_000), (7, 5_000)],  # a pool sale: head, payouts, draws
        [(7, 3_000), (CASH_ASSET, 2_000), (7, 3_000)],  # an asset in two runs
        [(a % 3, 1) for a in range(9_000)],  # no runs at all
        [(a, 70) for a in range(100)],  # more runs than are taken one by one
    ],
)
def test_a_bulk_entrys_sums_per_asset_are_exact_whatever_its_runs(
    asset_runs: list[tuple[int, int]],
) -> None:
    assets = array("q", [a for a, n in asset_runs for _ in range(n)])
    deltas = array("q", [(i * 7_919) % 10_007 - 5_003 or 1 for i in range(len(assets))])
    deltas[0] = INT64_MAX  # sums beyond int64 stay exact
    deltas[-1] = INT64_MAX
    expected: dict[int, int] = {}
    for a, d in zip(assets, deltas, strict=True):
        expected[a] = expected.get(a, 0) + d
    assert _sums_by_asset(assets, deltas) == expected
