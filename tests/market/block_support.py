"""What the block-trade tests share: national-style params, a day's instants, a desk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from pctrade.market.block import BlockParams

T = 1_000_000  # grams per tonne
CST = timezone(timedelta(hours=8))
DAY = int(datetime(2026, 7, 1, tzinfo=CST).timestamp())  # local midnight, Unix seconds
assert datetime.fromtimestamp(DAY, UTC).hour == 16  # the previous day's 16:00 UTC
AT_1300 = DAY + 13 * 3_600
AT_1400 = DAY + 14 * 3_600
AT_1500 = DAY + 15 * 3_600
AT_1000 = DAY + 10 * 3_600

PARAMS = BlockParams(
    price_step_fen_per_t=1,
    quantity_step_g=T,
    block_quantity_min_g=100_000 * T,
    block_price_limit_bps=3_000,
    reference_price_fen_per_t=6_000,  # 60.00 yuan per t: the band is 42.00 to 78.00
    sessions=((13 * 3_600, 15 * 3_600),),
    proposal_expiry_max_s=7_200,
)
