"""What a caller asks of the market; each fingerprint binds the caller's idempotency key.

Never rename a class or a field once commands are recorded: the fingerprint hashes
both (``ledger.commands.Command``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from pctrade.ledger.commands import Command
from pctrade.ledger.journal import request_hash


@dataclass(frozen=True, slots=True)
class ListContract(Command):
    """List a contract: the batches of one instrument, jurisdiction and vintage (and
    project, where the rule set keys contracts on it), traded under ``market``'s rule
    set (its ``[trading]``, ``[fees]`` and ``[eligibility]``). ``reference_price``: the
    first day's reference for the band; None trades the first day without one."""

    instrument: str
    jurisdiction: str
    vintage: str
    market: str = "CN"
    project: str | None = None
    reference_price_fen_per_t: int | None = None


@dataclass(frozen=True, slots=True)
class PlaceOrder(Command):
    """A limit (``day``) or immediate-or-cancel (``ioc``) order on ``account_id``.

    ``levels``: a taker's chosen opposite price levels (among the best five);
    ``batches``: for a sell, the batches (denominations) to deliver, in the order to
    draw them; None lets the registry pick the account's oldest batches first.
    ``pool``: a platform's sell of its pool's units (issue 14, ``market.pool_sells``),
    placed on the platform's account; nothing is frozen, the pool's holds deliver."""

    contract: str
    account_id: int
    client_order_id: str
    side: str
    price_fen_per_t: int
    quantity_g: int
    time_in_force: str = "day"
    levels: tuple[int, ...] | None = None
    batches: tuple[str, ...] | None = None
    pool: str | None = None

    def fingerprint(self) -> str:
        return fingerprint_without_pool(self)


@dataclass(frozen=True, slots=True)
class CancelOrder(Command):
    contract: str
    order_id: int


@dataclass(frozen=True, slots=True)
class AmendOrder(Command):
    """New price and new total quantity (the filled part included)."""

    contract: str
    order_id: int
    price_fen_per_t: int
    quantity_g: int


@dataclass(frozen=True, slots=True)
class CloseDay(Command):
    """Close ``day`` (ISO date) of a contract: expire its orders, fix its close."""

    contract: str
    day: str


def fingerprint_without_pool(cmd: Command) -> str:
    """``Command.fingerprint`` with ``pool`` left out when it is None: the field came
    later (issue 14), so a command recorded before it still replays its answer."""
    body = {f.name: getattr(cmd, f.name) for f in fields(cmd)}
    if body.get("pool") is None:
        body.pop("pool", None)
    return request_hash({"command": type(cmd).__name__, **body})
