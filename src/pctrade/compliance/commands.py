"""The compliance context's commands: a cap, an allocation run, each report step.

A fingerprint is hashed into the journal under the caller's idempotency key, and the
class name is part of it (``ledger.commands.Command``), so the classes keep their names.
Commands that carry lists of records (installations, source streams) fingerprint them
field by field, as plain JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from pctrade.compliance.emissions import SourceStream
from pctrade.ledger.commands import Command
from pctrade.ledger.journal import request_hash


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def _fingerprint(command: Command) -> str:
    body = {f.name: _plain(getattr(command, f.name)) for f in fields(command)}
    return request_hash({"command": type(command).__name__, **body})


@dataclass(frozen=True, slots=True)
class SetCap(Command):
    """The regulator's cap for a jurisdiction's compliance period ("2025", "2019-2020")."""

    jurisdiction: str
    period: str
    cap_g: int


@dataclass(frozen=True, slots=True)
class InstallationOf:
    """One unit of an emitter for an allocation run: the benchmark it is allocated by
    (``unit_type`` and ``output``, e.g. ``coal_300mw_above`` and ``supply_g_per_mwh``, from
    the rule set's ``[allocation]``), its output in whole units and its factors in bps.
    For a pre-allocation the output is the prior year's; for a true-up, the verified year's."""

    account_id: int
    unit_type: str
    output: str
    output_units: int
    factors_bps: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RunAllocation(Command):
    """An allocation run of ``kind`` (free | preallocation | true_up | auction): the
    installations of every emitter it allocates to, or, for an auction, the grams of paid
    allocation issued into the auction account for one-way bidding."""

    jurisdiction: str
    period: str
    kind: str
    installations: tuple[InstallationOf, ...] = ()
    auctioned_g: int = 0

    def fingerprint(self) -> str:
        return _fingerprint(self)


@dataclass(frozen=True, slots=True)
class SubmitReport(Command):
    """An emitter's annual emissions report for one period, by source stream; the parties
    it names as affiliates (with its own party) may not verify it."""

    jurisdiction: str
    period: str
    account_id: int
    streams: tuple[SourceStream, ...]
    affiliates: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        return _fingerprint(self)


@dataclass(frozen=True, slots=True)
class VerifyReport(Command):
    """A verifier's verified figure for a submitted report."""

    report_id: str
    verified_g: int


@dataclass(frozen=True, slots=True)
class SendBackReport(Command):
    """A verifier sends a submitted report back to its emitter, saying why."""

    report_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ConfirmReport(Command):
    """The regulator confirms a report's verified figure: the emitter's obligation."""

    report_id: str
