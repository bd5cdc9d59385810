"""Rules of a rule-set file across its keys and sections, checked once every section has
parsed: a path admitted has its rules, fees stay under their caps, positions and the
older trading keys agree, lots and auction bids make whole fen, compliance ranges run
upwards. Each failure is a ``RuleSetError`` naming the keys (``rules.lines`` then
finds their line).
"""

from __future__ import annotations

from pctrade.kernel.units import G_PER_T
from pctrade.rules.checks import RuleSetError
from pctrade.rules.model import Allocation, Auctions, Compliance, IssuancePath, RuleSet, Trading


def check_consistent(rule_set: RuleSet, where: str) -> None:
    """A path admitted needs its rules, and rules without their path are a mistake."""
    pairs = (
        (IssuancePath.CARBON_INCLUSIVE, rule_set.carbon_inclusive),
        (IssuancePath.SINK_SPONSORSHIP, rule_set.sinks),
    )
    for path, section in pairs:
        if rule_set.admits(path) and section is None:
            raise RuleSetError(f"{where}: admits {path} but has no rules for it")
    if rule_set.carbon_inclusive is not None and not rule_set.admits(IssuancePath.CARBON_INCLUSIVE):
        raise RuleSetError(f"{where}: has [carbon_inclusive] rules but does not admit the path")
    fees = rule_set.fees
    if fees is not None and (fees.trade_fee_bps or 0) > fees.trade_fee_cap_bps:
        raise RuleSetError(f"{where}: [fees] trade_fee_bps is above trade_fee_cap_bps")
    _check_positions(rule_set, where)
    _check_compliance(rule_set.compliance, where)
    _check_allocation(rule_set.allocation, where)
    _check_auctions(rule_set.auctions, where)
    _check_lots(rule_set.trading, where)


def _check_lots(trading: Trading | None, where: str) -> None:
    """Every instrument's lot × tick is a whole fen, as the market's own must be (the
    listing refuses a contract whose lot and tick are not), and its lot divides the
    order and block sizes, so both stay reachable in whole lots."""
    if trading is None:
        return
    for code, lot in trading.lots.items():
        at = f"{where}: [trading] lots.{code}"
        if lot.quantity_step_g * lot.price_step_fen_per_t % G_PER_T:
            raise RuleSetError(
                f"{at}: quantity_step_g × price_step_fen_per_t must be a multiple of "
                f"{G_PER_T}, so that every lot's cash is whole fen"
            )
        for name in ("order_quantity_max_g", "block_quantity_min_g"):
            own = lot.block_quantity_min_g if name == "block_quantity_min_g" else None
            if own is not None and own % lot.quantity_step_g:
                raise RuleSetError(f"{at}: the lot does not divide its own {name}")
            if own is None and getattr(trading, name) % lot.quantity_step_g:
                raise RuleSetError(f"{at}: the lot does not divide [trading] {name}")


def _check_positions(rule_set: RuleSet, where: str) -> None:
    """[positions] and the older [trading] keys say one thing, and disclosure ≤ limit."""
    positions, trading = rule_set.positions, rule_set.trading
    if positions is None:
        return
    if trading is not None:
        pairs = (
            ("position_limit_g", trading.position_limit_g, "limit_g", positions.limit_g),
            (
                "large_holder_report_g",
                trading.large_holder_report_g,
                "disclosure_g",
                positions.disclosure_g,
            ),
        )
        for old, old_value, new, new_value in pairs:
            if old_value is not None and old_value != new_value:
                raise RuleSetError(
                    f"{where}: [trading] {old} = {old_value} but [positions] {new} = {new_value}"
                )
    checks = (
        ("disclosure_g", positions.disclosure_g, "limit_g", positions.limit_g),
        (
            "emitter_disclosure_above_allocation_g",
            positions.emitter_disclosure_above_allocation_g,
            "emitter_limit_above_allocation_g",
            positions.emitter_limit_above_allocation_g,
        ),
    )
    for low_name, low, high_name, high in checks:
        if low is not None and high is not None and low > high:
            raise RuleSetError(f"{where}: [positions] {low_name} is above {high_name}")


def _check_auctions(auctions: Auctions | None, where: str) -> None:
    """A bid's cash must be whole fen: the lot times the tick is a multiple of 1 t × 1 fen/t,
    and the smallest bid is a whole number of lots."""
    if auctions is None:
        return
    lot, tick = auctions.bid_quantity_step_g, auctions.price_step_fen_per_t
    if lot * tick % G_PER_T:
        raise RuleSetError(
            f"{where}: [auctions] bid_quantity_step_g × price_step_fen_per_t must be a "
            f"multiple of {G_PER_T}, so that every bid's cash is whole fen"
        )
    if auctions.bid_quantity_min_g % lot:
        raise RuleSetError(f"{where}: [auctions] bid_quantity_min_g must be a whole number of lots")


def _check_allocation(allocation: Allocation | None, where: str) -> None:
    """The bounds of a dynamic adjustment belong to a dynamic adjustment."""
    if allocation is None or allocation.dynamic_adjustment:
        return
    for name in ("adjustment_gap_max_bps", "adjustment_surplus_max_bps"):
        if getattr(allocation, name) is not None:
            raise RuleSetError(
                f"{where}: [allocation] {name}: bounds a dynamic adjustment, but "
                "dynamic_adjustment is false"
            )


def _check_compliance(compliance: Compliance | None, where: str) -> None:
    """Borrowing is stated whole or not at all, and each range runs upwards."""
    if compliance is None:
        return
    at = f"{where}: [compliance]"
    borrowing = (compliance.borrowing_shortfall_min_bps, compliance.borrowing_max_bps)
    if (borrowing[0] is None) != (borrowing[1] is None):
        raise RuleSetError(
            f"{at} borrowing_max_bps: borrowing needs both borrowing_shortfall_min_bps "
            "and borrowing_max_bps, or neither"
        )
    ranges = (
        ("penalty_fine_min_fen", "penalty_fine_max_fen"),
        ("penalty_market_value_multiple_min", "penalty_market_value_multiple_max"),
    )
    for low_name, high_name in ranges:
        low, high = getattr(compliance, low_name), getattr(compliance, high_name)
        if low is not None and high is not None and low > high:
            raise RuleSetError(f"{at} {low_name}: is above {high_name}")
    _check_market_value_fine(compliance, at)


def _check_market_value_fine(compliance: Compliance, at: str) -> None:
    """A price window is stated whole; it and a ceiling on the fine belong only where a
    fine is a multiple of the shortfall's market value: elsewhere nothing is valued."""
    months, end = compliance.penalty_price_window_months, compliance.penalty_price_window_end
    if (months is None) != (end is None):
        raise RuleSetError(
            f"{at} penalty_price_window_months: a price window needs both "
            "penalty_price_window_months and penalty_price_window_end, or neither"
        )
    multiples = (
        compliance.penalty_market_value_multiple_min,
        compliance.penalty_market_value_multiple_max,
    )
    if compliance.penalty_market_value_fine_max_fen is not None and multiples == (None, None):
        raise RuleSetError(
            f"{at} penalty_market_value_fine_max_fen: caps a market-value fine, but the "
            "rule set has no penalty_market_value_multiple_min or _max"
        )
    if months is not None and multiples == (None, None):
        raise RuleSetError(
            f"{at} penalty_price_window_months: values a market-value fine, but the "
            "rule set has no penalty_market_value_multiple_min or _max"
        )
