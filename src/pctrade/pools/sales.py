"""The pools' side of a sale: which units it takes, at what fee, and the rows it leaves.

``sale_plan`` is what a venue's settlement calls (the market's pool-seller port, or a
test's fixture) inside the entry's transaction: it reads the pool's unsold deposits in
deposit order, draws the sale's grams from them by the terms' draw order
(``allocation``), and plans the one ``pool_settle`` entry (``settle``). The terms that
apply are those each drawn deposit accepted (a change of terms binds only new deposits,
issue 14 item 1): the sale is refused below the highest floor among them
(``below_floor``), and charged the lowest fee among them, so that no contributor pays
more than they agreed to or sells below the price they were promised. A sale of more
than the pool's unsold units is refused (``exceeds_pool``); a payout that does not add
up is refused by the planner (``payout_mismatch``).

Its ``SaleRows`` evidence writes, in the same transaction, the ``pool_sales`` row and one
``pool_sale_lines`` row per contributor; ``audit_pool_sales`` holds those rows to the
entries when ``verify`` runs. It writes nothing to the deposits: what a deposit has
left is its hold's remaining, which the entry draws down, and what was sold of it is
derived from that (``sql.schema.sold_g``, migration 0026).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pctrade.kernel.errors import Conflict, NotFound, ValidationError
from pctrade.ledger.invariants import Problem
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.operations import HOLDS_PACKED, Plan
from pctrade.ledger.packed_np import Column, unpack_np
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.split_columns import largest_remainder_np
from pctrade.pools.allocation import DrawOrder, Lot, draw
from pctrade.pools.model import Terms
from pctrade.pools.sale_columns import (
    LotColumns,
    PayoutColumns,
    contributions_columns,
    draw_columns,
    pay_out_columns,
    plan_pool_settle_columns,
    split,
)
from pctrade.pools.settle import BuyerCash, PoolSale, plan_pool_settle
from pctrade.pools.sql import sales as db
from pctrade.pools.sql import store

# From this many unsold deposits a sale is planned on columns (``sale_columns``): the
# two paths give the same postings, holds and lines, and the columnar one holds tens
# of bytes per contributor where the other holds a few kilobytes.
COLUMNAR_FROM = 2_000


def free_g(uow: UnitOfWork, pool_id: str) -> int:
    """The pool's unsold, unwithdrawn grams."""
    return db.free_g(uow, pool_id)


def unsold_assets(uow: UnitOfWork, pool_id: str) -> frozenset[int]:
    """The batches of the pool's unsold, unwithdrawn units."""
    return frozenset(db.unsold_assets(uow, pool_id))


@dataclass(frozen=True, slots=True)
class PoolDeposit:
    """An unsold deposit as a sale reads it: its lot and the terms version it accepted."""

    lot: Lot
    terms_version: int


def unsold_deposits(uow: UnitOfWork, pool_id: str) -> list[PoolDeposit]:
    """The pool's deposits with units left, in deposit order."""
    lots, versions = _unsold_columns(uow, pool_id)
    return [PoolDeposit(lot, v) for lot, v in zip(lots, versions, strict=True)]


def _unsold_columns(uow: UnitOfWork, pool_id: str) -> tuple[list[Lot], list[int]]:
    """``unsold_deposits`` as two columns, lots and terms versions, for a sale: a pool
    may have millions of deposits, and one wrapper per deposit costs a second there."""
    rows = db.unsold_deposits(uow, pool_id)
    lots = [Lot(deposit_id, account, asset, left) for deposit_id, account, asset, _, left in rows]
    return lots, [version for _, _, _, version, _ in rows]


def _terms(uow: UnitOfWork, pool_id: str, versions: set[int]) -> list[Terms]:
    found = []
    for version in sorted(versions):
        row = store.terms_version(uow, pool_id, version)
        if row is None:  # the pools' audit holds every deposit to a published version
            raise NotFound(f"pool {pool_id} has no terms version {version}", code="unknown_pool")
        found.append(Terms.from_json(json.loads(row["terms"])))
    return found


def sale_plan(
    uow: UnitOfWork,
    pool_id: str,
    sale: PoolSale,
    cash: BuyerCash,
    *,
    columnar: bool | None = None,
) -> tuple[Plan, SaleRows | SaleColumnRows]:
    """The ``pool_settle`` entry of ``sale`` and the rows it leaves beside it.

    ``columnar``: plan it on columns (``sale_columns``, the draws packed in the
    entry); None: when the pool has ``COLUMNAR_FROM`` unsold deposits or more.
    """
    pool = store.pool(uow, pool_id)
    if pool is None:
        raise NotFound(f"no pool {pool_id!r}", code="unknown_pool")
    if sale.pool_id != pool_id or sale.platform_account != pool["platform_account"]:
        raise ValidationError(
            "the sale is not this pool's, or not paid to its platform", code="bad_request"
        )
    if columnar is None:
        columnar = db.unsold_count(uow, pool_id, COLUMNAR_FROM) >= COLUMNAR_FROM
    if columnar:
        return _sale_plan_columns(uow, pool_id, int(pool["terms_version"]), sale, cash)
    lots, versions = _unsold_columns(uow, pool_id)
    current = _terms(uow, pool_id, {int(pool["terms_version"])})[0]
    drawn = draw(lots, sale.quantity_g, DrawOrder(current.draw_order), largest_remainder_np)
    accepted = _terms(uow, pool_id, {v for v, g in zip(versions, drawn, strict=True) if g})
    charged = _charged(sale, accepted)
    plan = plan_pool_settle(charged, lots, drawn, cash, largest_remainder_np)
    return plan, SaleRows(pool_id, plan.payload)


def _charged(sale: PoolSale, accepted: Sequence[Terms]) -> PoolSale:
    """The sale at the lowest fee the drawn deposits accepted, refused below the
    highest floor among them."""
    floor = max((t.floor_fen_per_t or 0) for t in accepted)
    if sale.price_fen_per_t < floor:
        raise Conflict(
            f"{sale.price_fen_per_t} fen/t is below the pool's floor of {floor} fen/t",
            code="below_floor",
        )
    return replace(sale, pool_fee_bps=min(t.fee_bps for t in accepted))


def _sale_plan_columns(
    uow: UnitOfWork, pool_id: str, terms_version: int, sale: PoolSale, cash: BuyerCash
) -> tuple[Plan, SaleColumnRows]:
    ids, accounts, assets, versions, left = db.unsold_columns(uow, pool_id)
    lots = LotColumns(ids, accounts, assets, left, versions)
    current = _terms(uow, pool_id, {terms_version})[0]
    drawn = draw_columns(lots, sale.quantity_g, DrawOrder(current.draw_order))
    accepted = {int(v) for v in np.unique(lots.versions[drawn > 0]).tolist()}
    charged = _charged(sale, _terms(uow, pool_id, accepted))
    plan, payout = plan_pool_settle_columns(charged, lots, drawn, cash)
    return plan, SaleColumnRows(pool_id, plan.payload, payout)


@dataclass(frozen=True, slots=True)
class SaleColumnRows:
    """``SaleRows`` of a sale planned on columns: the lines written set-based from the
    plan's own columns."""

    pool_id: str
    payload: JsonDict
    payout: PayoutColumns

    @property
    def facts(self) -> JsonDict | None:
        return None

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        p = self.payload
        db.insert_sale(uow, sale_row(p, entry.seq, entry.header.ts, self.pool_id))
        db.insert_line_columns(uow, entry.seq, line_columns_np(p, self.payout))


def line_columns_np(p: JsonDict, payout: PayoutColumns) -> dict[str, Column]:
    """``line_columns`` from a payout's columns: the fee split as the net is."""
    fees = int(p["seller_fee_fen"]) + int(p["pool_fee_fen"])
    fee_shares = split(fees, payout.grams)[0] if fees else np.zeros_like(payout.grams)
    return {
        "account_id": payout.accounts,
        "grams_g": payout.grams,
        "gross_fen": payout.net_fen + fee_shares,
        "fee_fen": fee_shares,
        "net_fen": payout.net_fen,
        "remainder": payout.remainders,
    }


@dataclass(frozen=True, slots=True)
class SaleRows:
    """A sale's evidence: its ``pool_sales`` row and its lines.

    Its facts are already in the entry's payload (sale, money, payout columns), so it
    records none of its own; ``audit_pool_sales`` compares the rows with the payload.
    """

    pool_id: str
    payload: JsonDict

    @property
    def facts(self) -> JsonDict | None:
        return None

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        p = self.payload
        db.insert_sale(uow, sale_row(p, entry.seq, entry.header.ts, self.pool_id))
        db.insert_lines(uow, line_columns(p, entry.seq))


def sale_row(p: JsonDict, seq: int, ts: str, pool_id: str) -> dict[str, Any]:
    return {
        "entry_seq": seq,
        "sale_id": p["sale"],
        "pool_id": pool_id,
        "platform_account": p["platform"],
        "venue": p["venue"],
        "price_fen_per_t": p["price_fen_per_t"],
        "quantity_g": p["quantity_g"],
        "gross_fen": p["gross_fen"],
        "trade_fee_bps": p["trade_fee_bps"],
        "trade_fee_fen": p["seller_fee_fen"],
        "pool_fee_bps": p["pool_fee_bps"],
        "pool_fee_fen": p["pool_fee_fen"],
        "net_fen": p["net_fen"],
        "buyer_account": p["buyer"],
        "contributors": p["contributors"],
        "ts": ts,
        # Settlement and payout are one entry: the contributors are paid when they sell.
        "paid_at": ts,
    }


def line_columns(p: JsonDict, seq: int) -> list[list[int]]:
    """The lines of a sale, in ``db.LINE_COLUMNS`` order, from the entry's payload.

    A contributor's fee share is the sale's fees (trade + pool) split by grams, exactly
    as the net is; their gross share is net + fee, so every statement line reads
    gross − fee = net, and the lines sum to the sale's gross, fees and net.
    """
    c = p["payout"]
    grams: list[int] = c["grams"]
    fees = int(p["seller_fee_fen"]) + int(p["pool_fee_fen"])
    fee_shares = largest_remainder_np(fees, grams).amounts if fees else [0] * len(grams)
    gross = [n + f for n, f in zip(c["net_fen"], fee_shares, strict=True)]
    return [
        [seq] * len(grams),
        c["accounts"],
        grams,
        gross,
        fee_shares,
        c["net_fen"],
        c["remainders"],
    ]


_SALE_FIELDS = (
    ("sale_id", "sale"),
    ("venue", "venue"),
    ("price_fen_per_t", "price_fen_per_t"),
    ("quantity_g", "quantity_g"),
    ("gross_fen", "gross_fen"),
    ("trade_fee_fen", "seller_fee_fen"),
    ("pool_fee_fen", "pool_fee_fen"),
    ("net_fen", "net_fen"),
    ("buyer_account", "buyer"),
    ("platform_account", "platform"),
    ("contributors", "contributors"),
)


def audit_pool_sales(uow: UnitOfWork) -> Iterator[Problem]:
    """Every ``pool_settle`` entry has its sale row and lines, and they match it."""
    rows = {int(r["entry_seq"]): r for r in db.all_sales(uow)}
    totals = db.line_totals(uow)
    settled: set[int] = set()
    for seq, p in db.settle_entries(uow):
        settled.add(seq)
        row = rows.get(seq)
        if row is None:
            yield Problem("pool_settle_without_sale", f"sale {p.get('sale')}", seq)
            continue
        if row["pool_id"] != p.get("pool") or any(row[c] != p.get(k) for c, k in _SALE_FIELDS):
            yield Problem("pool_sale_mismatch", f"sale {row['sale_id']}", seq)
            continue
        problem = _lines_problem(uow, seq, p, totals.get(seq))
        if problem:
            yield Problem("pool_sale_lines_mismatch", f"sale {row['sale_id']}: {problem}", seq)
    for seq, row in rows.items():
        if seq not in settled:
            yield Problem("pool_sale_without_settle", f"sale {row['sale_id']}", seq)


def _lines_problem(uow: UnitOfWork, seq: int, p: JsonDict, total: dict[str, Any] | None) -> str:
    if total is None:
        return "no lines"
    fees = int(p["seller_fee_fen"]) + int(p["pool_fee_fen"])
    if (
        int(total["lines"]),
        int(total["grams_g"]),
        int(total["net_fen"]),
        int(total["fee_fen"]),
        int(total["gross_fen"]),
    ) != (p["contributors"], p["quantity_g"], p["net_fen"], fees, int(p["net_fen"]) + fees):
        return "the lines' totals are not the sale's"
    if HOLDS_PACKED in p:
        expected: Iterable[tuple[int, ...]] = _packed_payout(p)
    else:
        c = p["payout"]
        expected = zip(c["accounts"], c["grams"], c["net_fen"], c["remainders"], strict=True)
    for line, want in zip(db.lines_of_sale(uow, seq), expected, strict=False):
        got = (line["account_id"], line["grams_g"], line["net_fen"], line["remainder"])
        if got != want:
            return f"account {line['account_id']}'s line is not the entry's payout"
    return ""


def _packed_payout(p: JsonDict) -> Iterator[tuple[int, ...]]:
    """The payout of a sale whose draws the entry packed, recomputed from them."""
    drawn = unpack_np(p[HOLDS_PACKED], ("hold_id", "account", "asset_id", "delta"))
    lots = LotColumns(
        drawn["hold_id"], drawn["account"], drawn["asset_id"], -drawn["delta"], drawn["delta"]
    )
    accounts, grams = contributions_columns(lots, -drawn["delta"])
    payout = pay_out_columns(int(p["net_fen"]), accounts, grams)
    columns = (payout.accounts, payout.grams, payout.net_fen, payout.remainders)
    yield from zip(*(c.tolist() for c in columns), strict=True)


@dataclass(frozen=True, slots=True)
class SaleEvidence:
    """The evidence handed to ``Journal.execute`` for a sale whose plan is made inside
    the entry's transaction: ``plan`` runs ``sale_plan`` (a planner may run twice) and
    ``write`` writes the rows of the last run, the one the entry was written from."""

    pool_id: str
    sale: PoolSale
    cash: BuyerCash
    runs: list[SaleRows | SaleColumnRows] = field(default_factory=list)
    columnar: bool | None = None  # ``sale_plan``'s choice of path

    def plan(self, uow: UnitOfWork) -> Plan:
        plan, rows = sale_plan(uow, self.pool_id, self.sale, self.cash, columnar=self.columnar)
        self.runs.append(rows)
        return plan

    @property
    def facts(self) -> JsonDict | None:
        return None

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        self.runs[-1].write(uow, entry)
