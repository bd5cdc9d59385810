"""What a context adds to the ledger: its tables, its operation types, its checks.

The ledger is the one writer of holdings and the one judge of them (``verify``), but it
does not know the contexts built on it (energy, sinks, carbon-inclusive, and next the
market, pools, compliance). Each context declares a ``Context``:

- ``operations``: the operation types its planners write, each with the check that
  replaying an entry of that type must pass (``OperationType``). The name is the string
  the journal records and hashes, so it is never renamed. An op type that issues a
  batch says so, and replay then counts the batch's issued grams from its payload;
- ``credit_paths``: the ways its use cases create personal credits (PCER, DESIGN §4):
  an op type of its own, or the ledger's ``issue`` carrying the evidence its path writes
  beside the entry (``CreditPath``). The registry refuses a plain ``issue`` of a
  personal instrument, and replay flags a personal batch made any other way;
- ``trackers``: checks that need the whole history, fed every entry in journal order
  (a fresh one per replay, see ``invariants.Tracker``);
- ``audits``: checks of the context's own tables beside the journal, run in the same
  read snapshot after the replay (a function of the reader unit of work);
- ``metadata``: its tables, so that whoever acts on every table (the migrations' tests,
  a reset) takes them from the contexts and forgets none.

The composition root (``pctrade.bootstrap.contexts``) lists the shipped contexts, and
``queries.verify`` takes them: the ledger imports no context. Adding an operation type
touches its context (a command, a planner, the op type registered here with its check)
and nothing in the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pctrade.ledger.invariants import EntryCheck, Problem, Replay, Tracker

if TYPE_CHECKING:  # a type only: the ledger's model runs without SQLAlchemy
    from sqlalchemy import MetaData

    from pctrade.ledger.ports import UnitOfWork

# The journal stores an op type in ``entries.op_type``, a String(32) column.
OP_TYPE_LEN_MAX = 32
_OP_TYPE_RE = re.compile(rf"^[a-z][a-z0-9_]{{0,{OP_TYPE_LEN_MAX - 1}}}$")

# An audit of a context's tables: every problem it sees in the snapshot ``uow`` reads.
Audit = Callable[["UnitOfWork"], Iterable[Problem]]


@dataclass(frozen=True, slots=True)
class OperationType:
    """An op type a context's planners write, and what replaying one must check."""

    name: str
    check: EntryCheck | None = None
    issues_batch: bool = False

    def __post_init__(self) -> None:
        # The journal's string, whether given as a plain str or an ``OpType`` member.
        object.__setattr__(self, "name", str(self.name))
        if not _OP_TYPE_RE.match(self.name):
            raise RegistrationError(
                f"op type {self.name!r} is not 1-{OP_TYPE_LEN_MAX} of a-z, 0-9, _"
            )


@dataclass(frozen=True, slots=True)
class CreditPath:
    """A way personal credits come into being: entries of ``op_type`` and, when
    ``evidence_kind`` is set, only those whose payload's evidence is of that kind (the
    sink issuance is the ledger's ``issue`` with its attribution table beside it; the
    carbon-inclusive issuance has an op type of its own). The context's audit is what
    checks that evidence against its rows."""

    op_type: str
    evidence_kind: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "op_type", str(self.op_type))


@dataclass(frozen=True, slots=True)
class Context:
    """What one bounded context registers with the ledger."""

    name: str
    operations: tuple[OperationType, ...] = ()
    credit_paths: tuple[CreditPath, ...] = ()
    trackers: tuple[Callable[[], Tracker], ...] = ()
    audits: tuple[Audit, ...] = ()
    metadata: tuple[MetaData, ...] = ()


class RegistrationError(Exception):
    """A malformed op type name, or two contexts claiming one name: a wiring mistake,
    found at start (not a ``PctradeError``: no request can cause it)."""


def checked(contexts: Sequence[Context]) -> Sequence[Context]:
    """The contexts, once their names and op types are known to be unique."""
    names: set[str] = set()
    owner: dict[str, str] = {}
    for context in contexts:
        if context.name in names:
            raise RegistrationError(f"context {context.name!r} registered twice")
        names.add(context.name)
        for op in context.operations:
            if op.name in owner:
                raise RegistrationError(
                    f"op type {op.name!r} registered by {owner[op.name]!r} and {context.name!r}"
                )
            owner[op.name] = context.name
    return contexts


def replay_for(contexts: Sequence[Context]) -> Replay:
    """A fresh replay that runs, beside the ledger's own invariants, every registered check."""
    checks: dict[str, list[EntryCheck]] = {}
    batch_op_types: set[str] = set()
    for context in checked(contexts):
        for op in context.operations:
            if op.check is not None:
                checks.setdefault(op.name, []).append(op.check)
            if op.issues_batch:
                batch_op_types.add(op.name)
    trackers = [make() for context in contexts for make in context.trackers]
    paths = frozenset((p.op_type, p.evidence_kind) for p in credit_paths_of(contexts))
    return Replay(
        checks=checks,
        batch_op_types=frozenset(batch_op_types),
        trackers=trackers,
        credit_paths=paths,
    )


def credit_paths_of(contexts: Sequence[Context]) -> tuple[CreditPath, ...]:
    """Every registered way of creating personal credits (``Registry`` takes them)."""
    return tuple(path for context in contexts for path in context.credit_paths)


def audits_of(contexts: Sequence[Context]) -> list[Audit]:
    return [audit for context in contexts for audit in context.audits]


def metadata_of(contexts: Sequence[Context]) -> list[MetaData]:
    return [meta for context in contexts for meta in context.metadata]
