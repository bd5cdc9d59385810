"""The market's request and response bodies: carbon in grams, money in fen, prices in
fen per tonne (``_g``, ``_fen``, ``_fen_per_t``), integers only."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from pctrade.api.schemas import AccountRef, Body, Day, Out, QuantityG
from pctrade.kernel.limits import DENOMINATION_LEN_MAX, INT64_MAX
from pctrade.market.holdings import BATCHES_MAX
from pctrade.market.pool_seller import POOL_ID_LEN_MAX
from pctrade.market.service import CLIENT_ORDER_ID_LEN_MAX, LEVELS_MAX

PriceFenPerT = Annotated[
    int, Field(strict=True, gt=0, le=INT64_MAX, description="fen per tonne (CNY 0.01 / t)")
]
ContractCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=48,
        pattern=r"^[A-Za-z0-9-]+$",
        description="a contract's code, e.g. PCER-GD-2026Q3",
    ),
]
Part = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9]+$")]


class ContractCreate(Body):
    instrument: Annotated[str, Field(min_length=1, max_length=8, pattern=r"^[A-Z]+$")]
    jurisdiction: Annotated[str, Field(min_length=2, max_length=3, pattern=r"^[A-Z]+$")]
    vintage: Part
    market: Annotated[
        str,
        Field(min_length=2, max_length=3, pattern=r"^[A-Z]+$", description="rule set's market"),
    ] = "CN"
    project: Part | None = None
    reference_price_fen_per_t: PriceFenPerT | None = Field(
        default=None, description="the first day's reference price for the band"
    )


class ContractListed(Out):
    contract: str
    rule_set: str


class ContractPublic(Out):
    code: str
    instrument: str
    jurisdiction: str
    project: str | None
    vintage: str
    market: str
    listed_at: str
    last_seq: int = Field(description="the contract's last command (the stream's seq)")
    trading_day: str | None = Field(description="the open trading day, null between days")
    reference_price_fen_per_t: int | None = Field(description="the band's centre: the last close")


class ContractPagePublic(Out):
    items: list[ContractPublic]
    next_cursor: str | None


# A platform's sell of its pool's units (issue 14): nothing frozen, the pool delivers.
PoolRef = Annotated[
    str,
    Field(
        min_length=1,
        max_length=POOL_ID_LEN_MAX,
        pattern=r"^[!-~]+$",
        description="a pool whose units its platform sells (a sell on the platform's account)",
    ),
]


class OrderCreate(Body):
    account: AccountRef
    client_order_id: Annotated[
        str, Field(min_length=1, max_length=CLIENT_ORDER_ID_LEN_MAX, pattern=r"^[!-~]+$")
    ]
    side: Literal["buy", "sell"]
    price_fen_per_t: PriceFenPerT
    quantity_g: QuantityG
    time_in_force: Literal["day", "ioc"] = "day"
    levels: (
        Annotated[
            list[PriceFenPerT],
            Field(
                min_length=1,
                max_length=LEVELS_MAX,
                description="a taker's chosen opposite price levels (among the best five)",
            ),
        ]
        | None
    ) = None
    batches: (
        Annotated[
            list[Annotated[str, Field(min_length=1, max_length=DENOMINATION_LEN_MAX)]],
            Field(
                min_length=1,
                max_length=BATCHES_MAX,
                description="a sell's batches, in the order to draw them (default: oldest first)",
            ),
        ]
        | None
    ) = None
    pool: PoolRef | None = None


class OrderAmend(Body):
    price_fen_per_t: PriceFenPerT
    quantity_g: QuantityG = Field(description="the new total quantity, the filled part included")


class OrderResultPublic(Out):
    contract: str
    seq: int = Field(description="the contract's seq of this command")
    order_id: int
    state: str | None = Field(description="open, filled, cancelled or expired")
    filled_g: int | None
    trades: list[str] = Field(description="the trades this command made")
    entries: list[int] = Field(description="the journal entries it wrote")


class OrderPublic(Out):
    contract: str
    order_id: int
    client_order_id: str
    account_id: int
    side: str
    time_in_force: str
    price_fen_per_t: int
    quantity_g: int
    filled_g: int
    fee_bps: int
    state: str
    day: str
    placed_seq: int
    priority_seq: int


class OrderPagePublic(Out):
    items: list[OrderPublic]
    next_cursor: str | None


class FillPublic(Out):
    trade_id: str
    contract: str
    entry_seq: int = Field(description="the trade_settle entry in the journal")
    day: str
    seq: int
    side: str
    order_id: int
    account_id: int
    price_fen_per_t: int
    quantity_g: int
    cash_fen: int
    fee_fen: int
    taker: bool
    ts: str


class FillPagePublic(Out):
    items: list[FillPublic]
    next_cursor: str | None


class TradePublic(Out):
    trade_id: str
    day: str
    seq: int
    entry_seq: int
    taker_side: str
    price_fen_per_t: int
    quantity_g: int
    ts: str


class TradePagePublic(Out):
    items: list[TradePublic]
    next_cursor: str | None


class LevelPublic(Out):
    price_fen_per_t: int
    quantity_g: int
    orders: int


class DepthPublic(Out):
    contract: str
    seq: int = Field(description="the contract's seq the depth was read at")
    bids: list[LevelPublic] = Field(description="best (highest) first")
    asks: list[LevelPublic] = Field(description="best (lowest) first")


class BarPublic(Out):
    day: str
    open_fen_per_t: int | None
    high_fen_per_t: int | None
    low_fen_per_t: int | None
    last_fen_per_t: int | None
    volume_g: int
    trades: int
    close_fen_per_t: int | None = Field(description="the day's close once it is closed")
    carried: bool | None = Field(description="the close was carried over (nothing traded)")


class BarsPublic(Out):
    contract: str
    bars: list[BarPublic]


class ClosePublic(Out):
    day: str
    close_fen_per_t: int | None
    carried: bool
    volume_g: int
    seq: int


class ClosesPublic(Out):
    contract: str
    closes: list[ClosePublic]


class CloseDayCreate(Body):
    day: Day


class ClosedPublic(Out):
    contract: str
    day: str
    close_fen_per_t: int | None
    carried: bool
    volume_g: int
    # the block proposals the close lapsed (their holds released); none on a replay
    # answered from the close itself
    lapsed_proposals: list[int] = Field(default_factory=list)
