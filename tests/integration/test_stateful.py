"""Random operations against the registry on SQLite, with every invariant after each.

A small model keeps the expected balance of every (account, asset, state); after each
step the stored balances must equal it, none may be negative, and ``verify`` must
replay the journal to the same state. Replays of old idempotency keys must return the
original entry and change nothing; invalid operations must fail and change nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
)
from registry_world import snapshot

from hypothesis_budget import examples
from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_ASSET, Role, State, SystemAccount
from pctrade.ledger.operations import FreezeReason, Retirement
from pctrade.ledger.service import Receipt
from pctrade.ledger.sql.store import SqlStore

Key = tuple[int, int, int]
AV, FR, SU, RE, CA, SRC = (
    int(State.AVAILABLE),
    int(State.FROZEN),
    int(State.SURRENDERED),
    int(State.RETIRED),
    int(State.CANCELLED),
    int(State.SOURCE),
)
ROLES = [Role.INDIVIDUAL, Role.INDIVIDUAL, Role.EMITTER, Role.PLATFORM, Role.INSTITUTION]
quantities = st.integers(min_value=1, max_value=2_000)


class RegistryMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    transfers = Bundle("transfers")

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.store = SqlStore(f"sqlite:///{Path(self.dir.name) / 'r.db'}")
        self.reg = bootstrap.build(self.store).registry
        self.model: dict[Key, int] = {}
        self.owner: dict[int, str] = {}
        self.emitters: set[int] = set()
        self.batches: dict[str, int] = {}
        self.done: list[tuple[str, str, c.Command, int]] = []  # actor, key, command, seq
        self.hold_left: dict[int, tuple[int, int, int]] = {}  # hold -> account, asset, left
        self.keys = 0

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    def move(self, key: Key, delta: int) -> None:
        self.model[key] = self.model.get(key, 0) + delta

    def record(self, actor: str, key: str, cmd: c.Command, receipt: Receipt) -> None:
        assert not receipt.replayed
        self.done.append((actor, key, cmd, receipt.seq))

    def expect_refusal(self, actor: str, call: object) -> None:
        before = snapshot(self.store)
        try:
            call()  # type: ignore[operator]
        except PctradeError:
            pass
        else:
            raise AssertionError("an invalid operation was accepted")
        assert snapshot(self.store) == before

    @initialize()
    def setup(self) -> None:
        self.reg.open_account("registry", "reg", c.OpenAccount("reg", Role.REGULATOR, "R"))
        for i, role in enumerate(ROLES):
            r = self.reg.open_account("registry", f"o{i}", c.OpenAccount(f"p{i}", role, ""))
            account = int(r.payload["account"])
            self.owner[account] = f"p{i}"
            if role == Role.EMITTER:
                self.emitters.add(account)

    def accounts(self) -> list[int]:
        return sorted(self.owner)

    def asset_name(self, asset: int) -> str:
        return (
            "CNY" if asset == CASH_ASSET else next(n for n, a in self.batches.items() if a == asset)
        )

    # ---- rules -----------------------------------------------------------------------
    @rule(data=st.data())
    def open_account(self, data: st.DataObject) -> None:
        party = f"q{len(self.owner)}"
        r = self.reg.open_account("registry", self.key(), c.OpenAccount(party, Role.INDIVIDUAL, ""))
        self.owner[int(r.payload["account"])] = party

    @rule(data=st.data())
    def issue(self, data: st.DataObject) -> None:
        recipients = data.draw(st.lists(st.sampled_from(self.accounts()), min_size=1, unique=True))
        amounts = [data.draw(quantities) for _ in recipients]
        name = f"CCER-CN-P{len(self.batches)}-2026Q3-001"
        key = self.key()
        cmd = c.Issue(name, recipients, amounts)
        r = self.reg.issue("reg", key, cmd)
        asset = int(r.payload["batch"]["asset_id"])
        self.batches[name] = asset
        self.move((SystemAccount.ISSUANCE, asset, SRC), -sum(amounts))
        for a, q in zip(recipients, amounts, strict=True):
            self.move((a, asset, AV), q)
        self.record("reg", key, cmd, r)

    @rule(data=st.data(), amount=quantities)
    def deposit(self, data: st.DataObject, amount: int) -> None:
        account = data.draw(st.sampled_from(self.accounts()))
        key = self.key()
        cmd = c.Deposit(account, amount, "bank")
        self.record("reg", key, cmd, self.reg.deposit("reg", key, cmd))
        self.move((SystemAccount.CASH_GATEWAY, CASH_ASSET, SRC), -amount)
        self.move((account, CASH_ASSET, AV), amount)

    def held(self, state: int = AV) -> list[tuple[int, int, int]]:
        return sorted(
            (a, asset, v) for (a, asset, s), v in self.model.items() if s == state and v > 0
        )

    @precondition(lambda self: self.held())
    @rule(target=transfers, data=st.data())
    def transfer(self, data: st.DataObject) -> tuple[int, int, int, int]:
        src, asset, have = data.draw(st.sampled_from(self.held()))
        dst = data.draw(st.sampled_from([a for a in self.accounts() if a != src]))
        q = data.draw(st.integers(1, have))
        key = self.key()
        cmd = c.Transfer(src, dst, self.asset_name(asset), q)
        r = self.reg.transfer(self.owner[src], key, cmd)
        self.record(self.owner[src], key, cmd, r)
        self.move((src, asset, AV), -q)
        self.move((dst, asset, AV), q)
        return r.seq, src, dst, q

    @precondition(lambda self: self.held())
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        cash = [h for h in self.held() if h[1] == CASH_ASSET]
        if not cash:
            return
        account, _, have = data.draw(st.sampled_from(cash))
        q = data.draw(st.integers(1, have))
        key = self.key()
        cmd = c.Withdraw(account, q, "bank")
        self.record(self.owner[account], key, cmd, self.reg.withdraw(self.owner[account], key, cmd))
        self.move((SystemAccount.CASH_GATEWAY, CASH_ASSET, SRC), q)
        self.move((account, CASH_ASSET, AV), -q)

    @precondition(lambda self: self.held())
    @rule(target=holds, data=st.data())
    def freeze(self, data: st.DataObject) -> int:
        account, asset, have = data.draw(st.sampled_from(self.held()))
        q = data.draw(st.integers(1, have))
        key = self.key()
        cmd = c.Freeze(account, self.asset_name(asset), q, FreezeReason.PLEDGE, "o")
        r = self.reg.freeze(self.owner[account], key, cmd)
        self.record(self.owner[account], key, cmd, r)
        self.move((account, asset, AV), -q)
        self.move((account, asset, FR), q)
        self.hold_left[r.seq] = (account, asset, q)
        return r.seq

    @rule(hold=holds, data=st.data())
    def unfreeze(self, hold: int, data: st.DataObject) -> None:
        account, asset, left = self.hold_left[hold]
        owner = self.owner[account]
        if left == 0:
            self.expect_refusal(owner, lambda: self.reg.unfreeze(owner, "x", c.Unfreeze(hold, 1)))
            return
        q = data.draw(st.integers(1, left))
        key = self.key()
        cmd = c.Unfreeze(hold, q)
        self.record(owner, key, cmd, self.reg.unfreeze(owner, key, cmd))
        self.move((account, asset, FR), -q)
        self.move((account, asset, AV), q)
        self.hold_left[hold] = (account, asset, left - q)

    @precondition(lambda self: self.held())
    @rule(data=st.data(), kind=st.sampled_from(["surrender", "retire", "cancel"]))
    def terminal(self, data: st.DataObject, kind: str) -> None:
        credits = [h for h in self.held() if h[1] != CASH_ASSET]
        if kind == "surrender":
            credits = [h for h in credits if h[0] in self.emitters]
        if not credits:
            return
        account, asset, have = data.draw(st.sampled_from(credits))
        q = data.draw(st.integers(1, have))
        key, name, owner = self.key(), self.asset_name(asset), self.owner[account]
        if kind == "surrender":
            cmd: c.Command = c.Surrender(account, name, q, "2026")
            r, state = self.reg.surrender(owner, key, cmd), SU  # type: ignore[arg-type]
        elif kind == "retire":
            cmd = c.Retire(account, name, q, Retirement("B", "offset"))
            r, state = self.reg.retire(owner, key, cmd), RE
        else:
            owner = "reg"
            cmd = c.Cancel(account, name, q, "invalid")
            r, state = self.reg.cancel(owner, key, cmd), CA
        self.record(owner, key, cmd, r)
        self.move((account, asset, AV), -q)
        self.move((account, asset, state), q)

    @rule(t=consumes(transfers))
    def correct(self, t: tuple[int, int, int, int]) -> None:
        seq, src, dst, q = t
        original = next(cmd for (_, _, cmd, s) in self.done if s == seq)
        assert isinstance(original, c.Transfer)
        asset = CASH_ASSET if original.asset == "CNY" else self.batches[original.asset]
        if self.model.get((dst, asset, AV), 0) < q:
            self.expect_refusal(
                "registry", lambda: self.reg.correct("registry", "x", c.Correct(seq, "oops"))
            )
            return
        key = self.key()
        cmd = c.Correct(seq, "oops")
        self.record("registry", key, cmd, self.reg.correct("registry", key, cmd))
        self.move((src, asset, AV), q)
        self.move((dst, asset, AV), -q)
        self.expect_refusal(
            "registry", lambda: self.reg.correct("registry", "y", c.Correct(seq, "again"))
        )

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def replay_old_key(self, data: st.DataObject) -> None:
        actor, key, cmd, seq = data.draw(st.sampled_from(self.done))
        method = {
            c.Issue: self.reg.issue,
            c.Transfer: self.reg.transfer,
            c.Deposit: self.reg.deposit,
            c.Withdraw: self.reg.withdraw,
            c.Freeze: self.reg.freeze,
            c.Unfreeze: self.reg.unfreeze,
            c.Surrender: self.reg.surrender,
            c.Retire: self.reg.retire,
            c.Cancel: self.reg.cancel,
            c.Correct: self.reg.correct,
        }[type(cmd)]
        before = snapshot(self.store)
        r = method(actor, key, cmd)  # type: ignore[operator]
        assert r.replayed and r.seq == seq
        assert snapshot(self.store) == before
        other = c.Deposit(self.accounts()[0], 1, "different body")
        self.expect_refusal(actor, lambda: self.reg.deposit(actor, key, other))

    @rule(data=st.data(), kind=st.integers(0, 5))
    def invalid(self, data: st.DataObject, kind: int) -> None:
        accounts = self.accounts()
        a, b = accounts[0], accounts[1]
        owner = self.owner[a]
        have = self.model.get((a, CASH_ASSET, AV), 0)
        calls = [
            lambda: self.reg.transfer(owner, "bad", c.Transfer(a, b, "CNY", have + 1)),
            lambda: self.reg.transfer(owner, "bad", c.Transfer(a, b, "CNY", 0)),
            lambda: self.reg.transfer(self.owner[b], "bad", c.Transfer(a, b, "CNY", 1)),
            lambda: self.reg.withdraw(owner, "bad", c.Withdraw(a, have + 1, "r")),
            lambda: self.reg.transfer(owner, "bad", c.Transfer(a, 10**9, "CNY", 1)),
            lambda: self.reg.issue(owner, "bad", c.Issue("CCER-CN-X-2026-001", [a], [1])),
        ]
        self.expect_refusal(owner, calls[kind])

    # ---- invariants ------------------------------------------------------------------
    @invariant()
    def stored_balances_match_the_model_and_verify(self) -> None:
        _, stored, holds = snapshot(self.store)
        nonzero = {k: v for k, v in stored.items() if v != 0}
        assert nonzero == {k: v for k, v in self.model.items() if v != 0}
        assert all(v >= 0 for (_, _, s), v in stored.items() if s != SRC)
        assert holds == {h: left for h, (_, _, left) in self.hold_left.items()}
        report = verify(self.store)
        assert report.ok, report.problems

    def teardown(self) -> None:
        self.store.dispose()
        self.dir.cleanup()


RegistryMachine.TestCase.settings = settings(
    max_examples=examples(ci=12, thorough=25),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRegistryStateful = RegistryMachine.TestCase
