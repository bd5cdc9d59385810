"""Position limits (最大持仓量限制) and large-holder disclosure (大户报告), from ``[positions]``.

Beijing's rules (北京环境交易所碳排放权交易规则配套细则, 2014, §4.5) are the model: a key
emitter may hold at most its annual allocation plus 1,000,000 t of allowances, anyone
else at most 1,000,000 t; the exchange publishes emitters holding above their initial
allocation plus 500,000 t and others above 500,000 t. So a holder's figures depend on
whether it is an emitter and on its allocation (``allocation_g``: None for a holder
that is not an emitter). A limit is inclusive (a holding may reach it: 不得超过);
disclosure is for holdings strictly above the threshold (超过).

At order entry the market's service asks ``check_position`` (or its raising form,
``require_within_position_limit``, code ``position_limit``) with what the party holds
of the counted instruments (``Positions.instruments``, available and frozen), what its
open buy orders would still bring, and the new order's quantity. Open sell orders do
not lower the figure: a sell may be cancelled, and the limit must hold whatever
happens to the orders already in the book. Only buys are checked: a sale never raises
a holding. A rule set without ``[positions]``, or without the figure, sets no limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.market.surveillance.findings import RuleCitation, cite
from pctrade.rules.model import Positions, RuleSet


class PositionCheck(NamedTuple):
    limit_g: int | None  # None: no limit applies
    after_g: int  # holding + open buys + the order
    breach: bool
    rule: RuleCitation | None


class HolderPosition(NamedTuple):
    party: str
    holding_g: int  # of the counted instruments, available and frozen
    allocation_g: int | None  # the emitter's annual allocation; None: not an emitter


class LargeHolder(NamedTuple):
    party: str
    holding_g: int
    threshold_g: int
    above_g: int
    emitter: bool


class LargeHolderReport(NamedTuple):
    rule: RuleCitation
    holders: tuple[LargeHolder, ...]  # largest holding first, then by party


def position_limit_g(positions: Positions, allocation_g: int | None) -> int | None:
    """The holder's limit: fixed for others, allocation + the margin for an emitter."""
    if allocation_g is None:
        return positions.limit_g
    margin = positions.emitter_limit_above_allocation_g
    return None if margin is None else allocation_g + margin


def disclosure_threshold_g(positions: Positions, allocation_g: int | None) -> int | None:
    if allocation_g is None:
        return positions.disclosure_g
    margin = positions.emitter_disclosure_above_allocation_g
    return None if margin is None else allocation_g + margin


def would_breach_position_limit(
    holding_g: int, open_buy_g: int, order_g: int, limit_g: int | None
) -> bool:
    """Whether a buy of ``order_g`` could take the holding above ``limit_g``."""
    for name, value in (("holding_g", holding_g), ("open_buy_g", open_buy_g), ("order_g", order_g)):
        if value < 0:
            raise ValidationError(f"{name} must not be negative", code="bad_quantity")
    return limit_g is not None and holding_g + open_buy_g + order_g > limit_g


def check_position(
    rule_set: RuleSet, *, holding_g: int, open_buy_g: int, order_g: int, allocation_g: int | None
) -> PositionCheck:
    after_g = holding_g + open_buy_g + order_g
    positions = rule_set.positions
    limit_g = None if positions is None else position_limit_g(positions, allocation_g)
    breach = would_breach_position_limit(holding_g, open_buy_g, order_g, limit_g)
    if positions is None or limit_g is None:
        return PositionCheck(None, after_g, breach, None)
    key = "limit_g" if allocation_g is None else "emitter_limit_above_allocation_g"
    return PositionCheck(
        limit_g, after_g, breach, cite(rule_set, "positions", positions.cited, (key,))
    )


def require_within_position_limit(
    rule_set: RuleSet, *, holding_g: int, open_buy_g: int, order_g: int, allocation_g: int | None
) -> PositionCheck:
    """``check_position``, refusing a breach with the stable code ``position_limit``."""
    check = check_position(
        rule_set,
        holding_g=holding_g,
        open_buy_g=open_buy_g,
        order_g=order_g,
        allocation_g=allocation_g,
    )
    if check.breach:
        raise Conflict(
            f"the order would take the holding to {check.after_g} g, above the position "
            f"limit of {check.limit_g} g (rule set {rule_set.version}, [positions])",
            code="position_limit",
        )
    return check


def large_holder_report(holdings: Iterable[HolderPosition], rule_set: RuleSet) -> LargeHolderReport:
    """Every holder above its disclosure threshold, largest first (``no_rule`` if none set)."""
    positions = rule_set.require_positions()
    holders = []
    for h in holdings:
        if h.holding_g < 0 or (h.allocation_g is not None and h.allocation_g < 0):
            raise ValidationError(
                f"{h.party}: a negative holding or allocation", code="bad_quantity"
            )
        threshold_g = disclosure_threshold_g(positions, h.allocation_g)
        if threshold_g is not None and h.holding_g > threshold_g:
            emitter = h.allocation_g is not None
            holders.append(
                LargeHolder(h.party, h.holding_g, threshold_g, h.holding_g - threshold_g, emitter)
            )
    keys = ("disclosure_g", "emitter_disclosure_above_allocation_g")
    return LargeHolderReport(
        cite(rule_set, "positions", positions.cited, keys),
        tuple(sorted(holders, key=lambda x: (-x.holding_g, x.party))),
    )
