"""The ``[block_trades]`` and ``[auctions]`` sections: parsed, checked, cited, shipped."""

from __future__ import annotations

import pytest

from pctrade.kernel.errors import Conflict
from pctrade.rules import RuleSetError, load_text
from pctrade.rules import shipped as shipped_book
from pctrade.rules.model import AuctionPricing, Session

BASE = """
jurisdiction = "XX"
iso_code = "CN-XX"
name = "Test jurisdiction"
effective_from = 2025-01-01

[sources.a]
figure = "f"
publisher = "p"
assumption = false
"""
BLOCK = """
[block_trades]
sessions = ["09:30-11:30", "13:00-15:00"]
proposal_expiry_max_s = 3_600
sources = ["a"]
assumed = ["proposal_expiry_max_s"]
"""
AUCTIONS = """
[auctions]
pricing = "pay_as_bid"
bid_revision_allowed = true
bid_quantity_min_g = 1_000_000_000
bid_quantity_step_g = 1_000_000
price_step_fen_per_t = 1
reserve_published = false
sources = ["a"]
"""
GOOD = BASE + BLOCK + AUCTIONS


def _without(text: str, key: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(key))


def test_both_sections_parse_into_typed_rules() -> None:
    rs = load_text(GOOD)
    block = rs.require_block_trades()
    assert block.sessions == (Session(34_200, 41_400), Session(46_800, 54_000))
    assert block.proposal_expiry_max_s == 3_600
    auctions = rs.require_auctions()
    assert auctions.pricing == AuctionPricing.PAY_AS_BID
    assert auctions.bid_revision_allowed and not auctions.reserve_published
    assert (auctions.bid_quantity_min_g, auctions.bidder_share_max_bps) == (1_000_000_000, None)
    assert rs.assumptions() == ["block_trades.proposal_expiry_max_s"]


def test_a_rule_set_without_them_says_so() -> None:
    rs = load_text(BASE)
    for ask in (rs.require_block_trades, rs.require_auctions):
        with pytest.raises(Conflict) as exc:
            ask()
        assert exc.value.code == "no_rule"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace('"13:00-15:00"', '"13:00-12:00"'), "must open before it closes"),
        (GOOD.replace('"13:00-15:00"', '"11:00-15:00"'), "starts before the session ahead"),
        (GOOD.replace('"13:00-15:00"', '"1pm-3pm"'), "is not a session"),
        (GOOD.replace('"13:00-15:00"', '"13:00-24:30"'), "closes within the day"),
        (GOOD.replace('"13:00-15:00"', "1300"), "is not a session"),
        (GOOD.replace('["09:30-11:30", "13:00-15:00"]', "[]"), "must be a list of 1 to 8"),
        (GOOD.replace("proposal_expiry_max_s = 3_600", "proposal_expiry_max_s = 10"), "outside"),
        (GOOD.replace('"pay_as_bid"', '"dutch"'), "'dutch' is not one of"),
        (GOOD.replace("bid_revision_allowed = true", "bid_revision_allowed = 1"), "true or false"),
        (
            GOOD.replace("bid_quantity_step_g = 1_000_000", "bid_quantity_step_g = 1_000"),
            "so that every bid's cash is whole fen",
        ),
        (
            GOOD.replace("bid_quantity_min_g = 1_000_000_000", "bid_quantity_min_g = 1_500_000"),
            "whole number of lots",
        ),
        (
            GOOD.replace(
                "reserve_published = false", "reserve_published = false\nbidder_share_max_bps = 0"
            ),
            "outside",
        ),
        (_without(GOOD, "pricing"), "missing key 'pricing'"),
        (_without(GOOD, "sessions"), "missing key 'sessions'"),
        (
            GOOD.replace('assumed = ["proposal_expiry_max_s"]', 'assumed = ["sessions_s"]'),
            "not a field",
        ),
    ],
)
def test_a_bad_section_is_refused_with_a_message_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(RuleSetError) as exc:
        load_text(text, "test.toml")
    assert exc.value.code == "bad_rule_set" and message in exc.value.message


def test_the_national_block_session_is_the_afternoon_and_its_auction_figures_are_assumed() -> None:
    cn = shipped_book().by_version("CN/2021-02-01")
    assert cn.require_block_trades().sessions == (Session(13 * 3_600, 15 * 3_600),)
    assert "block_trades.sessions" not in cn.assumptions()
    auctions = cn.require_auctions()
    assert auctions.cited.assumed == frozenset(
        f
        for f in auctions.__slots__
        if f != "cited"  # type: ignore[attr-defined]
    )


def test_guangdongs_auction_figures_are_its_published_ones() -> None:
    gd = shipped_book().by_version("GD/2022-05-06")
    auctions = gd.require_auctions()
    assert (auctions.pricing, auctions.bid_revision_allowed) == (AuctionPricing.UNIFORM, False)
    assert (auctions.bid_quantity_min_g, auctions.bidder_share_max_bps) == (1_000_000_000, 5_000)
    assert {"auctions.pricing", "auctions.bid_quantity_min_g"}.isdisjoint(gd.assumptions())
    for section in (auctions, gd.require_block_trades()):
        assert all(s in gd.sources for s in section.cited.sources)
