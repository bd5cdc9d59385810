"""Denominations, account references and asset names: readable ids that parse back."""

from __future__ import annotations

import pytest

from pctrade.kernel.errors import ValidationError
from pctrade.ledger.model import (
    CASH_ASSET,
    ENERGY_ASSET,
    HOLDING_STATES,
    SERIAL_MAX,
    Batch,
    Denomination,
    HolderType,
    Instrument,
    Series,
    State,
    account_number,
    asset_names,
    builtin_asset,
    is_cash,
    parse_account_ref,
    parse_batch_name,
)


@pytest.mark.parametrize(
    "text",
    [
        "PCER-GD-AFF0007-2026Q3-001",
        "CEA-CN-NATIONAL-2025-012",
        "CCER-BJ-P1-2024H2-999",
        "PCER-SZX-X-2026M12-001",
    ],
)
def test_denomination_round_trips(text: str) -> None:
    assert str(Denomination.parse(text)) == text


def test_denomination_carries_its_provenance() -> None:
    d = Denomination.parse("PCER-GD-AFF0007-2026Q3-001")
    assert (d.instrument, d.jurisdiction, d.project, d.vintage, d.serial) == (
        Instrument.PCER,
        "GD",
        "AFF0007",
        "2026Q3",
        1,
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "XYZ-GD-AFF0007-2026Q3-001",  # unknown instrument
        "PCER-G-AFF0007-2026Q3-001",  # jurisdiction too short
        "pcer-GD-AFF0007-2026Q3-001",  # lower case
        "PCER-GD-AFF0007-2026Q5-001",  # no fifth quarter
        "PCER-GD-AFF0007-2026M13-001",  # no thirteenth month
        "PCER-GD-AFF0007-2026Q3-01",  # serial of two digits
        "PCER-GD-AFF0007-2026Q3-000",  # serial starts at 001
        "PCER-GD-ABCDEFGHIJKLMNOPQ-2026-001",  # project longer than 16
        "PCER-GD-AFF0007-2026Q3-001 ",
    ],
)
def test_bad_denominations_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        Denomination.parse(text)
    assert err.value.code == "bad_denomination"


def test_a_series_is_a_denomination_without_its_serial() -> None:
    series = parse_batch_name("PCER-GD-AFF0007-2026Q3")
    assert isinstance(series, Series) and str(series) == "PCER-GD-AFF0007-2026Q3"
    assert str(series.numbered(12)) == "PCER-GD-AFF0007-2026Q3-012"
    assert series.numbered(1).series == series
    whole = parse_batch_name("PCER-GD-AFF0007-2026Q3-002")
    assert isinstance(whole, Denomination) and whole.serial == 2
    with pytest.raises(ValidationError) as err:
        Denomination.parse("PCER-GD-AFF0007-2026Q3")  # a batch itself needs its serial
    assert err.value.code == "bad_denomination"
    for serial in (0, SERIAL_MAX + 1):
        with pytest.raises(ValidationError):
            series.numbered(serial)


def test_account_number_parses_back_to_its_id() -> None:
    number = account_number(1234, HolderType.INDIVIDUAL)
    assert number == "IND-0000001234"
    assert parse_account_ref(number) == 1234
    assert parse_account_ref("1234") == 1234
    assert parse_account_ref(77) == 77


@pytest.mark.parametrize("ref", ["", "IND-", "IND-12a", "ind-0001", "12 34"])
def test_bad_account_refs_are_refused(ref: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_account_ref(ref)
    assert err.value.code == "bad_account"


def test_only_surrendered_retired_cancelled_spent_expired_are_terminal() -> None:
    assert {s for s in State if s.terminal} == {
        State.SURRENDERED,
        State.RETIRED,
        State.CANCELLED,
        State.SPENT,
        State.EXPIRED,
    }
    assert State.SOURCE not in HOLDING_STATES


def test_cash_and_energy_have_one_naming_and_batches_keep_their_denominations() -> None:
    assert all(is_cash(n) for n in ("CNY", "cny", "CASH", "Cash"))
    assert not is_cash("GE") and not is_cash("PCER-GD-AFF0007-2026Q3-001")
    assert (builtin_asset("cash"), builtin_asset("ge")) == (CASH_ASSET, ENERGY_ASSET)
    assert builtin_asset("PCER-GD-AFF0007-2026Q3-001") is None
    batch = Batch(7, Denomination.parse("PCER-GD-AFF0007-2026Q3-001"), 100, 3)
    assert asset_names([batch]) == {
        7: "PCER-GD-AFF0007-2026Q3-001",
        CASH_ASSET: "CNY",
        ENERGY_ASSET: "GE",
    }
