"""Group commit: commands committed together answer exactly as they would one at a time.

The same commands run in two identical worlds: one at a time in the first, as groups in
the second (the lane held while they queue, so that each group is one transaction).
Every answer, every journal entry (seq, key, payload, hash), every market row and every
balance and hold must come out the same, with a refusal in the middle of a group, a
failure after a command wrote, a replayed key inside a group, a key taken meanwhile by
another process and a group whose commit fails.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from market_world import CONTRACT, MarketWorld, T, build_market, holdings, market_rows

from pctrade.bootstrap import sql as bootstrap_sql
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import Conflict, PctradeError
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import sequencer
from pctrade.market.commands import AmendOrder, CancelOrder, PlaceOrder
from pctrade.market.service import Market
from pctrade.market.sql import store as mdb

Call = tuple[str, Callable[[MarketWorld], Any]]  # the caller's key, the command


def _place(who: str, coid: str, side: str, price: int, qty_t: int) -> Callable[..., Any]:
    def command(w: MarketWorld, key: str) -> Any:
        order = PlaceOrder(CONTRACT, w.accounts[who], coid, side, price, qty_t * T)
        return w.market.place(who, key, order)

    return command


def _by(who: str, make: Callable[[], Any], kind: str) -> Callable[..., Any]:
    def command(w: MarketWorld, key: str) -> Any:
        return getattr(w.market, kind)(who, key, make())

    return command


PRE: list[tuple[str, Callable[..., Any]]] = [
    ("p1", _place("alice", "a1", "sell", 6_000, 5)),
    ("p2", _place("steel", "e1", "buy", 5_990, 1)),
]
# Order ids: p1 1, p2 2, g1 3, g3 4, g5 5 (a refused order takes none), h1 6.
GROUP_A = [
    ("g1", _place("steel", "e2", "buy", 6_000, 2)),  # takes 2 t of alice's
    ("g2", _place("carol", "c1", "sell", 6_000, 1)),  # not_eligible: refused before writing
    ("g3", _place("bob", "b1", "sell", 6_010, 3)),
    ("g1", _place("steel", "e2", "buy", 6_000, 2)),  # g1 again: the first's receipt
    ("g5", _place("steel", "e5", "buy", 6_010, 4)),  # alice's 3 t, then 1 t of bob's
    ("g1", _place("steel", "e9", "buy", 6_000, 1)),  # g1 for another order: key reused
    ("g7", _by("bob", lambda: CancelOrder(CONTRACT, 4), "cancel")),
]
GROUP_B = [
    ("h1", _place("alice", "a2", "sell", 6_030, 1)),
    ("h2", _place("bob", "b2", "sell", 6_020, 1)),  # fails after it froze (injected)
    ("h3", _place("steel", "e3", "buy", 6_030, 1)),  # takes alice's 1 t at 6,030
    ("g3", _place("bob", "b1", "sell", 6_010, 3)),  # a key committed by an earlier group
    ("h5", _by("steel", lambda: AmendOrder(CONTRACT, 2, 5_990, 2 * T), "amend")),
]


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except PctradeError as exc:
        return (type(exc).__name__, exc.code)


def _fail_after_writing(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    """The command under ``key`` fails once it has written its entries and rows."""
    real = Market._answer

    def answer(self: Market, run: Any, k: str, *rest: Any) -> Any:
        if k == key:
            raise Conflict("injected after the command wrote", code="injected")
        return real(self, run, k, *rest)

    monkeypatch.setattr(Market, "_answer", answer)


def _groups_seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """Each transaction of more than one command: its size and how it ran."""
    seen: list[tuple[int, str]] = []
    real = sequencer.Sequencer._in_one_transaction

    def spy(self: Any, group: list[Any], mode: Any) -> None:
        if len(group) > 1:
            seen.append((len(group), mode.value))
        real(self, group, mode)

    monkeypatch.setattr(sequencer.Sequencer, "_in_one_transaction", spy)
    return seen


def _as_one_group(w: MarketWorld, calls: list[tuple[str, Callable[..., Any]]]) -> list[Any]:
    """Queue ``calls`` in their order while the lane is held, then let them run."""
    out: list[Any] = [None] * len(calls)
    threads = []
    m = w.market
    # A frame of one command, left empty: while it is open, commands queue in the lane.
    with m._command("registry", "hold-the-lane", CONTRACT, CancelOrder(CONTRACT, 1)):
        for n, (key, command) in enumerate(calls):

            def run(n: int = n, key: str = key, command: Callable[..., Any] = command) -> None:
                out[n] = _outcome(lambda: command(w, key))

            t = threading.Thread(target=run, name=f"caller-{key}-{n}")
            t.start()
            threads.append(t)
            deadline = time.monotonic() + 10
            while m.sequencer.waiting() < n + 1:  # queued: the next one comes after it
                if time.monotonic() > deadline:
                    raise AssertionError("a command did not reach the lane")
                time.sleep(0.001)
    for t in threads:
        t.join()
    return out


def _journal(store: SqlStore) -> list[tuple[Any, ...]]:
    e = schema.entries.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(e.seq, e.op_type, e.actor, e.idem_key, e.payload, e.hash).order_by(e.seq)
        )
        return [tuple(r) for r in rows]


def _state(store: SqlStore) -> tuple[Any, ...]:
    return _journal(store), market_rows(store), holdings(store)


def _empty_again(store: SqlStore) -> None:
    """An empty registry again, whose next contract gets the id the last one got."""
    with store.engine.connect() as conn:
        contract_id = conn.execute(sa.select(sa.func.max(mdb.contracts.c.contract_id))).scalar()
    bootstrap_sql.empty(store.engine)
    store.forget_cached_rows()
    if store.is_postgres:  # a serial column's sequence goes on counting after a DELETE
        with store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('market_contracts', 'contract_id'),"
                    " :n, false)"
                ),
                {"n": contract_id},
            )


def _run_both(
    store: SqlStore, groups: list[list[tuple[str, Callable[..., Any]]]]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """The groups one command at a time in a first world; then, in the same world built
    again on the emptied registry, as groups. What both leave must be the same."""
    one = build_market(store)
    for key, command in PRE:
        command(one, key)
    one_at_a_time = [[_outcome(partial(c, one, k)) for k, c in group] for group in groups]
    alone = _state(store)
    one.app.close()
    _empty_again(store)
    many = build_market(store)
    for key, command in PRE:
        command(many, key)
    grouped = [_as_one_group(many, group) for group in groups]
    assert _state(store) == alone
    assert verify(store).ok
    return one_at_a_time, grouped


def test_a_group_answers_and_writes_exactly_what_one_command_at_a_time_does(
    any_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_after_writing(monkeypatch, "h2")
    seen = _groups_seen(monkeypatch)
    alone, grouped = _run_both(any_store, [GROUP_A, GROUP_B])
    assert grouped == alone
    # A refusal before writing leaves the group's transaction as it was; a failure after
    # writing rolls it back, and it runs again with a savepoint per command.
    assert seen == [(7, "trusting"), (5, "trusting"), (5, "savepoints")]
    a, b = grouped
    assert a[1][1] == "not_eligible"
    assert a[3] == {**a[0], "replayed": True}  # a replayed key answers the first receipt
    assert a[5] == ("IdempotencyConflict", "idempotency_key_reused")
    assert a[4]["filled_g"] == 4 * T and len(a[4]["trades"]) == 2
    assert b[1] == ("Conflict", "injected")
    assert b[3] == {**a[2], "replayed": True}
    assert b[2]["filled_g"] == T


def test_a_key_taken_meanwhile_inside_a_group_answers_as_its_second_use(
    any_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The group's look-ups miss a key that another process commits meanwhile (here: a
    # look-up that hides it); the command then finds the key taken when it logs, and
    # answers as the second use of the key does; the rest of the group stands.
    w = build_market(any_store)
    steel = w.accounts["steel"]
    w.market.place("steel", "k", PlaceOrder(CONTRACT, steel, "e1", "buy", 5_990, T))
    real = mdb.contracts_and_commands
    hidden = {"n": 0}

    def lookup(uow: Any, codes: Any, keys: Any) -> tuple[Any, Any]:
        contracts, logged = real(uow, codes, keys)
        if ("steel", "k") in keys and hidden["n"] < 2:  # the trusting try, and the retry
            hidden["n"] += 1
            logged = {pair: row for pair, row in logged.items() if pair != ("steel", "k")}
        return contracts, logged

    monkeypatch.setattr(mdb, "contracts_and_commands", lookup)
    seen = _groups_seen(monkeypatch)
    out = _as_one_group(
        w,
        [
            ("x1", _place("alice", "a1", "sell", 6_000, 1)),
            ("k", _place("steel", "e2", "buy", 5_980, 1)),  # another order under "k"
            ("x2", _place("steel", "e3", "buy", 6_000, 1)),
        ],
    )
    assert seen == [(3, "trusting"), (3, "savepoints")]
    assert out[1] == ("IdempotencyConflict", "idempotency_key_reused")
    assert out[0]["state"] == "open" and out[2]["state"] == "filled"  # x2 took x1
    assert len(market_rows(any_store)["market_orders"]) == 3
    assert verify(any_store).ok


def test_a_group_whose_commit_fails_runs_each_command_again_alone(
    any_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = type(any_store.writer())
    real_commit = unit.commit
    failed: list[int] = []

    def commit(self: Any) -> None:
        # The first group's commit fails, as a lost connection would make it.
        if not failed and threading.current_thread().name.startswith("caller-"):
            failed.append(1)
            raise sa.exc.OperationalError("COMMIT", {}, Exception("connection lost"))
        real_commit(self)

    monkeypatch.setattr(unit, "commit", commit)
    alone, grouped = _run_both(any_store, [GROUP_A])
    assert failed == [1]
    assert grouped == alone
