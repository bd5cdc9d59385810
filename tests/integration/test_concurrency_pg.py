"""The bank test: many writers move credits and cash at random while readers check totals.

Writers serialise on the journal head, so every snapshot a reader takes must see the
starting totals exactly and no negative balance; afterwards the journal must hold one
entry per successful distinct transfer (retries with the same key add nothing) and
``verify`` must replay it to the same balances.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from registry_world import assert_verifies, snapshot

from pctrade import bootstrap
from pctrade.kernel.errors import InsufficientBalance
from pctrade.ledger import commands as c
from pctrade.ledger.model import FIRST_HOLDER_ACCOUNT, Role
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore

BATCH = "CCER-CN-BANK-2026-001"
START_G = 10_000
START_FEN = 10_000
READ_PAUSE_S = 0.005

# One statement per asset, in one transaction: a snapshot must hold across both.
_SUM = sa.text(
    "SELECT COALESCE(SUM(amount), 0), COALESCE(MIN(amount), 0), COUNT(*) FROM balances "
    "WHERE account_id >= :first AND asset_id = :asset"
)


@dataclass
class Outcome:
    ok: dict[tuple[str, str], int] = field(default_factory=dict)  # (actor, key) -> seq
    refused: int = 0
    replays: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def setup_bank(store: SqlStore, n_accounts: int) -> tuple[Registry, list[int], int]:
    reg = bootstrap.build(store).registry
    reg.open_account("registry", "reg", c.OpenAccount("reg", Role.REGULATOR, "R"))
    parties = [f"u{i}" for i in range(n_accounts)]
    r = reg.open_accounts("registry", "users", c.OpenAccounts(Role.INDIVIDUAL, parties))
    accounts = list(range(FIRST_HOLDER_ACCOUNT, FIRST_HOLDER_ACCOUNT + n_accounts))
    assert r.payload["accounts"] == n_accounts
    reg.issue("reg", "issue", c.Issue(BATCH, accounts, [START_G] * n_accounts))
    for a in accounts:
        reg.deposit("reg", f"dep-{a}", c.Deposit(a, START_FEN, "bank"))
    return reg, accounts, snapshot(store)[0]


def writer(
    reg: Registry, accounts: list[int], n: int, worker: int, out: Outcome, seed: int
) -> None:
    rng = random.Random(seed)
    for j in range(n):
        src, dst = rng.sample(accounts, 2)
        asset = rng.choice([BATCH, "CNY"])
        # Mostly affordable, sometimes more than any account could hold at the start.
        quantity = rng.randint(1, 2_000) if rng.random() < 0.9 else rng.randint(START_G, 50_000)
        actor, key = f"u{src - FIRST_HOLDER_ACCOUNT}", f"w{worker}-{j}"
        cmd = c.Transfer(src, dst, asset, quantity)
        attempts = 2 if rng.random() < 0.1 else 1
        for attempt in range(attempts):
            try:
                r = reg.transfer(actor, key, cmd)
            except InsufficientBalance:
                with out.lock:
                    out.refused += 1
                continue
            except Exception as exc:
                with out.lock:
                    out.errors.append(f"{type(exc).__name__}: {exc}")
                return
            with out.lock:
                if attempt and r.replayed:
                    out.replays += 1
                if (actor, key) in out.ok and out.ok[(actor, key)] != r.seq:
                    out.errors.append(f"key {key} applied twice: {out.ok[(actor, key)]}, {r.seq}")
                if r.replayed != ((actor, key) in out.ok):
                    out.errors.append(f"key {key}: replayed={r.replayed} is wrong")
                out.ok[(actor, key)] = r.seq


def reader(store: SqlStore, asset_ids: list[int], totals: list[int], reads: list[int],
           stop: threading.Event, errors: list[str], reads_min: int) -> None:  # fmt: skip
    while not stop.is_set() or reads[0] < reads_min:
        try:
            with store.reader() as uow:
                for asset, total in zip(asset_ids, totals, strict=True):
                    s, low, _ = uow.conn.execute(
                        _SUM, {"first": FIRST_HOLDER_ACCOUNT, "asset": asset}
                    ).one()
                    if s != total or low < 0:
                        errors.append(f"snapshot of asset {asset}: sum {s}, min {low}")
        except Exception as exc:
            errors.append(f"reader {type(exc).__name__}: {exc}")
            return
        reads[0] += 1
        time.sleep(READ_PAUSE_S)  # leave the GIL and the two cores mostly to the writers


def run_bank(
    store: SqlStore, *, n_accounts: int, n_workers: int, n_transfers: int, n_readers: int,
    reads_min: int,
) -> None:  # fmt: skip
    reg, accounts, setup_entries = setup_bank(store, n_accounts)
    with store.reader() as uow:
        batch_id = uow.batch_named(BATCH).asset_id  # type: ignore[union-attr]
    totals = [START_G * n_accounts, START_FEN * n_accounts]
    out, reads, stop = Outcome(), [0], threading.Event()
    read_errors: list[str] = []
    readers = [
        threading.Thread(
            target=reader, args=(store, [batch_id, 0], totals, reads, stop, read_errors, reads_min)
        )
        for _ in range(n_readers)
    ]
    per = n_transfers // n_workers
    writers = [
        threading.Thread(target=writer, args=(reg, accounts, per, w, out, 1000 + w))
        for w in range(n_workers)
    ]
    started = time.perf_counter()
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    elapsed = time.perf_counter() - started
    stop.set()
    for t in readers:
        t.join()

    assert out.errors == [] and read_errors == []
    attempted = per * n_workers
    print(
        f"\n[{store.engine.dialect.name}] {attempted} transfers by {n_workers} workers in "
        f"{elapsed:.2f} s: {attempted / elapsed:,.0f} transfers/s "
        f"({len(out.ok)} ok, {out.refused} refused, {out.replays} replays), "
        f"{reads[0]} snapshot reads"
    )
    assert reads[0] >= reads_min
    assert out.refused > 0, "the workload should include transfers beyond balance"
    assert out.replays > 0, "the workload should include retries of recorded keys"
    head, balances, _ = snapshot(store)
    seqs = sorted(out.ok.values())
    assert len(set(seqs)) == len(seqs), "two keys share an entry"
    assert head == setup_entries + len(out.ok)
    assert seqs == list(range(setup_entries + 1, head + 1)), "lost or foreign entries"
    holder = [v for (a, asset, _), v in balances.items() if a >= FIRST_HOLDER_ACCOUNT]
    assert min(holder) >= 0
    assert sum(holder) == sum(totals)
    assert_verifies(store)


@pytest.mark.pg
@pytest.mark.slow
def test_bank_transfers_on_postgresql_keep_every_invariant(pg_store: SqlStore) -> None:
    run_bank(
        pg_store, n_accounts=100, n_workers=16, n_transfers=4_000, n_readers=4, reads_min=400
    )  # 16 writers still interleave thousands of times; 10,000 transfers cost 41 s of the suite


@pytest.mark.slow
def test_bank_transfers_on_sqlite_keep_every_invariant(store: SqlStore) -> None:
    run_bank(store, n_accounts=30, n_workers=4, n_transfers=1_200, n_readers=2, reads_min=200)
