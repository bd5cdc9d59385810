"""The surrender's command (its class name is hashed with the idempotency key: never
renamed)."""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.ledger.commands import Command


@dataclass(frozen=True, slots=True)
class SurrenderUnits(Command):
    """An emitter surrenders, from ``account_id``, ``quantities_g`` of each batch named in
    ``batches`` (allowances and offsets together) for ``period`` of ``jurisdiction``."""

    account_id: int
    jurisdiction: str
    period: str
    batches: tuple[str, ...]
    quantities_g: tuple[int, ...]
