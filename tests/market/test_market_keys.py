"""The market's idempotency keys: a race on a caller's key across contracts, the keys of
the entries a command makes, and the audit that finds settlements by their own index."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from market_world import CONTRACT, T, build_market, holdings, market_rows

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import IdempotencyConflict, PctradeError, ValidationError
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_ASSET, Role
from pctrade.ledger.operations import FreezeReason
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import audit
from pctrade.market.commands import ListContract, PlaceOrder
from pctrade.market.sql import store as mdb

OTHER = "CCER-CN-2026Q4"


def _second_contract(w: Any) -> None:
    listing = ListContract("CCER", "CN", "2026Q4", reference_price_fen_per_t=6_000)
    w.market.list_contract("registry", "list-2", listing)


def _missing_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next command's look-up of its key finds nothing, as when the command that
    used it (on another contract, under another lock, in another process) had not
    committed yet."""
    real = mdb.contracts_and_commands
    calls = {"n": 0}

    def lookup(uow: Any, codes: Any, keys: Any) -> tuple[Any, Any]:
        calls["n"] += 1
        contracts, logged = real(uow, codes, keys)
        return contracts, {} if calls["n"] == 1 else logged

    monkeypatch.setattr(mdb, "contracts_and_commands", lookup)


def test_a_key_taken_meanwhile_on_another_contract_is_idempotency_key_reused(
    any_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = build_market(any_store)
    _second_contract(w)
    s = w.accounts["steel"]
    w.market.place("steel", "k", PlaceOrder(CONTRACT, s, "b1", "buy", 6_000, 2 * T))
    before, rows = holdings(any_store), market_rows(any_store)
    _missing_once(monkeypatch)
    with pytest.raises(IdempotencyConflict) as refused:
        w.market.place("steel", "k", PlaceOrder(OTHER, s, "b2", "buy", 6_000, 2 * T))
    assert refused.value.code == "idempotency_key_reused"
    assert holdings(any_store) == before and market_rows(any_store) == rows
    # the service carries on: its books were dropped and rebuild from the registry
    again = w.market.place("steel", "k2", PlaceOrder(OTHER, s, "b2", "buy", 6_000, 2 * T))
    assert again["state"] == "open"
    assert verify(any_store).ok


@pytest.mark.pg
def test_two_contracts_racing_on_one_key_answer_once_and_refuse_once(
    pg_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two worker processes' services: one process runs one command at a time, so a race
    # on a key is between processes.
    w = build_market(pg_store)
    _second_contract(w)
    other_process = bootstrap.build(pg_store, clock=w.clock).market
    s = w.accounts["steel"]
    both_read = threading.Barrier(2, timeout=20)
    real = mdb.contracts_and_commands

    def lookup(uow: Any, codes: Any, keys: Any) -> tuple[Any, Any]:
        found = real(uow, codes, keys)
        if ("steel", "race") in keys:
            both_read.wait()  # each has read the key unused, under its own contract's lock
        return found

    monkeypatch.setattr(mdb, "contracts_and_commands", lookup)
    answers: list[Any] = []

    def racer(code: str, market: Any) -> Callable[[], None]:
        def run() -> None:
            try:
                order = PlaceOrder(code, s, f"b-{code}", "buy", 6_000, 2 * T)
                answers.append(market.place("steel", "race", order))
            except Exception as exc:  # the answer under test
                answers.append(exc)

        return run

    threads = [
        threading.Thread(target=racer(code, market), name=f"racer-{code}")
        for code, market in ((CONTRACT, w.market), (OTHER, other_process))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    placed = [a for a in answers if isinstance(a, dict)]
    refused = [a for a in answers if isinstance(a, Exception)]
    assert len(placed) == 1 and not placed[0]["replayed"]
    assert len(refused) == 1 and isinstance(refused[0], IdempotencyConflict), refused
    assert refused[0].code == "idempotency_key_reused"
    assert len(market_rows(pg_store)["market_orders"]) == 1
    assert verify(pg_store).ok


def test_a_command_s_entries_are_keyed_where_no_client_key_can_be(any_store: SqlStore) -> None:
    w = build_market(any_store)
    reg = w.app.registry
    a = w.accounts["alice"]
    # Alice and Steel used, for freezes of their own, the keys the market once gave the
    # first entry of their next orders (contract 1, its next seqs).
    listed = market_rows(any_store)["market_contracts"][0]
    cid, next_seq = int(listed[0]), int(listed[9]) + 1
    for who, seq in (("alice", next_seq), ("steel", next_seq + 1)):
        key = f"market/{cid}/{seq}/1"
        account = w.accounts[who]
        reg.freeze(who, key, c.Freeze(account, "CASH", 100, FreezeReason.PLEDGE, key))
    sell = w.market.place("alice", "s", PlaceOrder(CONTRACT, a, "s1", "sell", 6_000, 2 * T))
    assert sell["state"] == "open"
    buy = PlaceOrder(CONTRACT, w.accounts["steel"], "b1", "buy", 6_000, 2 * T)
    assert w.market.place("steel", "b", buy)["trades"]
    e = schema.entries.c
    with any_store.engine.connect() as conn:
        query = sa.select(e.seq, e.idem_key).where(e.seq.in_(sell["entries"]))
        keys = {int(r[0]): str(r[1]) for r in conn.execute(query)}
    assert list(keys.values()) == [f"~market/{cid}/{next_seq}/1"], keys
    assert verify(any_store).ok


@pytest.mark.parametrize("key", ["~market/1/2/1", "~x"])
def test_a_client_key_in_the_system_space_is_refused_everywhere(
    any_store: SqlStore, key: str
) -> None:
    w = build_market(any_store)
    a = w.accounts["alice"]
    before, rows = holdings(any_store), market_rows(any_store)
    with pytest.raises(ValidationError) as market:
        w.market.place("alice", key, PlaceOrder(CONTRACT, a, "s1", "sell", 6_000, 2 * T))
    with pytest.raises(ValidationError) as registry:
        w.app.registry.freeze("alice", key, c.Freeze(a, "CASH", 1, FreezeReason.PLEDGE, "r"))
    assert market.value.code == registry.value.code == "bad_idempotency_key"
    assert holdings(any_store) == before and market_rows(any_store) == rows
    assert before[0][(a, CASH_ASSET, 0)] > 0


def test_the_audit_reads_the_settlements_not_the_journal(
    any_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = build_market(any_store)
    acc = w.accounts
    w.market.place("alice", "a1", PlaceOrder(CONTRACT, acc["alice"], "s1", "sell", 6_000, 5 * T))
    w.market.place("steel", "e1", PlaceOrder(CONTRACT, acc["steel"], "b1", "buy", 6_000, 3 * T))
    w.market.place("steel", "e2", PlaceOrder(CONTRACT, acc["steel"], "b2", "buy", 6_000, 2 * T))

    def refuse(self: Any) -> Any:
        raise AssertionError("the market's audit streamed the journal")

    with any_store.reader() as uow:
        monkeypatch.setattr(type(uow), "stream_journal", refuse)
        assert list(audit.audit_trades(uow)) == []
        with any_store.engine.begin() as conn:
            conn.execute(
                mdb.trades.update().where(mdb.trades.c.quantity_g == 2 * T).values(quantity_g=T)
            )
    with any_store.reader() as uow:
        found = list(audit.audit_trades(uow))
    assert [p.code for p in found] == ["market_trade_mismatch"]
    with any_store.engine.begin() as conn:
        conn.execute(sa.delete(mdb.trades))
    with any_store.reader() as uow:
        found = list(audit.audit_trades(uow))
    assert [p.code for p in found] == ["market_settlement_without_trade"] * 2


def test_the_settlements_are_found_by_their_own_index(store: SqlStore) -> None:
    build_market(store)
    with store.engine.connect() as conn:
        plan = " ".join(
            str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + mdb._SETTLEMENTS)
        )
    assert "ix_entries_trade_settle" in plan, plan


def test_a_failed_command_leaves_the_service_knowing_only_what_was_committed(
    any_store: SqlStore,
) -> None:
    w = build_market(any_store)
    s = w.accounts["steel"]
    w.market.place("steel", "k1", PlaceOrder(CONTRACT, s, "b1", "buy", 6_000, 2 * T))
    with pytest.raises(PctradeError):  # a duplicate client order id, refused whole
        w.market.place("steel", "k2", PlaceOrder(CONTRACT, s, "b1", "buy", 6_000, 2 * T))
    sell = PlaceOrder(CONTRACT, w.accounts["alice"], "s1", "sell", 6_000, 2 * T)
    assert w.market.place("alice", "k3", sell)["filled_g"] == 2 * T
    assert verify(any_store).ok


def test_a_maker_suspended_since_its_order_rested_refuses_the_fill_whole(
    any_store: SqlStore,
) -> None:
    # The taker's freeze reads the taker's status; the fill's entry must still read the
    # maker's (statuses are read once per account and command, not once per command).
    w = build_market(any_store)
    a, s = w.accounts["alice"], w.accounts["steel"]
    w.market.place("alice", "a1", PlaceOrder(CONTRACT, a, "s1", "sell", 6_000, 2 * T))
    w.app.registry.set_account_status("reg", "st-1", c.SetAccountStatus(a, "suspended", "order"))
    before, rows = holdings(any_store), market_rows(any_store)
    with pytest.raises(PctradeError) as refused:
        w.market.place("steel", "e1", PlaceOrder(CONTRACT, s, "b1", "buy", 6_000, 2 * T))
    assert refused.value.code == "account_suspended"
    assert holdings(any_store) == before and market_rows(any_store) == rows
    w.app.registry.set_account_status("reg", "st-2", c.SetAccountStatus(a, "open", "lifted"))
    took = w.market.place("steel", "e2", PlaceOrder(CONTRACT, s, "b2", "buy", 6_000, 2 * T))
    assert took["filled_g"] == 2 * T
    assert verify(any_store).ok


def test_after_a_reset_the_service_knows_nothing_of_the_old_registry(store: SqlStore) -> None:
    # Asset ids start again after a reset: what the service knew of the old batches
    # (which belongs to which contract) must not classify the new ones.
    w = build_market(store)
    sell = PlaceOrder(CONTRACT, w.accounts["plat"], "s1", "sell", 6_000, 2 * T)
    assert w.market.place("plat", "p1", sell)["state"] == "open"
    app = w.app
    app.reset()
    reg = app.registry
    reg.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    plat = int(
        reg.open_account("registry", "o-plat", c.OpenAccount("plat", Role.PLATFORM, "P")).payload[
            "account"
        ]
    )
    # asset 1 is now another vintage's batch, which the old contract does not trade
    reg.issue("reg", "i-q4", c.Issue("CCER-CN-AFF0007-2026Q4-001", [plat], [50 * T]))
    listing = ListContract("CCER", "CN", "2026Q3", reference_price_fen_per_t=6_000)
    app.market.list_contract("registry", "list-1", listing)
    again = PlaceOrder(CONTRACT, plat, "s1", "sell", 6_000, 2 * T)
    with pytest.raises(PctradeError) as refused:
        app.market.place("plat", "p1", again)
    assert refused.value.code == "insufficient_credits"
