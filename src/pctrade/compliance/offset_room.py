"""What an emitter may still surrender as offsets: the offset cap, live.

A surrender counts offsets only up to the rule set's cap (``compliance.surrender``:
``offset_cap_g``, and ``nonlocal_cap_g`` for offsets from outside the jurisdiction);
what has counted so far is the obligation's last surrender row. The emitter desk shows
the difference before the emitter chooses its units, computed by the same functions the
surrender's planner checks with, so the figure shown is the figure enforced.

A cap whose basis is the verified emissions is unknown until the regulator confirms
them: ``offset_cap_g`` is then None (the surrender itself would be refused with
``emissions_not_verified``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.compliance.surrender import Obligation, Surrendered, nonlocal_cap_g, offset_cap_g
from pctrade.kernel.errors import Conflict
from pctrade.rules.model import Compliance, Offsets


@dataclass(frozen=True, slots=True)
class OffsetRoom:
    """The offset cap of one obligation and what is left of it."""

    rule_set: str
    types: tuple[str, ...]  # instruments the rule set admits as offsets
    cap_bps: int
    cap_basis: str
    offset_cap_g: int | None  # None: the verified emissions are not confirmed yet
    offsets_used_g: int
    nonlocal_cap_g: int | None
    nonlocal_used_g: int
    verified_emissions_g: int | None
    allocation_g: int
    surrendered_g: int
    debt_g: int = 0  # a true-up's debt, surrendered on top of the verified emissions

    @property
    def offsets_left_g(self) -> int | None:
        if self.offset_cap_g is None:
            return None
        return max(0, self.offset_cap_g - self.offsets_used_g)

    @property
    def nonlocal_left_g(self) -> int | None:
        if self.nonlocal_cap_g is None:
            return None
        return max(0, self.nonlocal_cap_g - self.nonlocal_used_g)

    @property
    def still_short_g(self) -> int | None:
        """What is still to surrender for the obligation (None until it is known)."""
        if self.verified_emissions_g is None:
            return None
        return max(0, self.verified_emissions_g + self.debt_g - self.surrendered_g)


def offset_room(
    rule_set: str,
    offsets: Offsets,
    compliance: Compliance,
    obligation: Obligation,
    so_far: Surrendered,
) -> OffsetRoom:
    """The obligation's offset cap under ``offsets``/``compliance`` and what has counted."""
    try:
        cap: int | None = offset_cap_g(offsets, obligation)
        nonlocal_cap: int | None = nonlocal_cap_g(offsets, compliance, obligation)
    except Conflict as exc:
        if exc.code != "emissions_not_verified":
            raise
        cap = nonlocal_cap = None
    return OffsetRoom(
        rule_set=rule_set,
        types=offsets.types,
        cap_bps=offsets.cap_bps,
        cap_basis=str(offsets.cap_basis),
        offset_cap_g=cap,
        offsets_used_g=so_far.offsets_g,
        nonlocal_cap_g=nonlocal_cap,
        nonlocal_used_g=so_far.nonlocal_offsets_g,
        verified_emissions_g=obligation.verified_emissions_g,
        allocation_g=obligation.allocation_g,
        surrendered_g=so_far.total_g,
        debt_g=obligation.debt_g,
    )
