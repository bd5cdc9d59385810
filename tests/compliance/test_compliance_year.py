"""A scripted compliance year, on two jurisdictions and both databases: allocation →
trading → verified emissions → surrender with PCER offsets → status report → an
integrity report that reconciles to the gram, and ``verify`` OK."""

from __future__ import annotations

import pytest
from year_world import JURISDICTIONS, PERIOD, T, build

from pctrade.bootstrap.contexts import verify
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore


@pytest.mark.parametrize("j", JURISDICTIONS)
def test_a_compliance_year_reconciles_to_the_gram(any_store: SqlStore, j: str) -> None:
    y = build(any_store)
    cap_seq = y.cap(j, 10_000 * T).seq
    cea = y.allocate(j, {"plant-a": 1_000, "plant-b": 2_000})  # 825 t and 1,650 t
    auction_seq = y.auction(j, 500 * T).seq
    y.buy_pcer("plant-a", 80 * T)  # trading: the emitter buys a person's credits
    y.confirm("plant-a", j, 800 * T)
    y.confirm("plant-b", j, 2_000 * T)
    a = y.surrender("plant-a", j, {cea: 720 * T, y.pcer: 80 * T})  # 80 t: the 10 % cap
    b = y.surrender("plant-b", j, {cea: 1_650 * T})  # 350 t short

    report = y.app.compliance_reports.compliance_report(j, PERIOD)
    assert report["by_status"] == {"A": 1, "B": 1, "C": 0}
    assert report["shortfall_g"] == 350 * T and report["offsets_g"] == 80 * T
    rows = {r["account_id"]: r for r in report["rows"]}
    assert rows[y.accounts["plant-a"]]["entries"] == [a.seq]
    assert rows[y.accounts["plant-b"]]["penalty"]["deduction_g"] > 0

    integrity = y.app.compliance_reports.integrity().as_json()
    assert integrity["problems"] == []
    period = integrity["jurisdictions"][j]["periods"][PERIOD]
    assert period["cap"] == {"grams": 10_000 * T, "seqs": [cap_seq]}
    assert period["free_allocation"]["grams"] == 2_475 * T
    assert period["auctioned"] == {"grams": 500 * T, "seqs": [auction_seq]}
    assert period["reserve_g"] == 10_000 * T - 2_475 * T - 500 * T
    assert period["offsets_by_type"] == {"PCER": {"grams": 80 * T, "seqs": [a.seq]}}
    allowances = integrity["jurisdictions"][j]["allowances"]
    assert allowances["reconciles"]
    assert allowances["allocated"]["grams"] == 2_975 * T  # free + the auction account's
    assert allowances["surrendered"] == {"grams": 2_450 * T, "seqs": [a.seq, b.seq]}
    assert allowances["banked_g"] == 2_975 * T - 2_370 * T  # 105 t + 500 t in the auction
    with y.store.reader() as uow:
        batch = uow.batch_named(cea)
        assert batch is not None
        surrendered = uow.balance(y.accounts["plant-a"], batch.asset_id, State.SURRENDERED)
    assert surrendered == 720 * T
    assert verify(y.store).ok
