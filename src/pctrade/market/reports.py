"""What the market reports: statements, market data and surveillance, from the registry.

    reports = MarketReports(app.market)
    reports.statement("steel", account_id, "2026-12-07")   # the participant's day
    reports.daily_bars(code, "2026-12-01", "2026-12-07")   # OHLC, volume, the close
    reports.tape(code)                                     # the public trade tape
    reports.abnormal_trading("reg", code, first, last)     # for the regulator
    reports.large_holders("reg", code)                     # for the regulator

Reads only (a reader unit of work); the pure views are ``market.data`` and
``market.surveillance``, fed with ``TradeRecord``s and ``OrderRecord``s built here from
the market's tables (trades of every mode; order actions from the command log, with the
touch price the service recorded per action).

**The daily settlement statement** of an account lists each of its trades of the day,
of any contract and mode (order book, block, auction): side, quantity, price, gross
(the trade's cash), fee, net (the buyer pays gross + fee, the seller receives gross −
fee) and the journal seq of its settlement entry, with the account's opening and
closing cash and credits (available and frozen together) of the day in China Standard
Time. It reconciles to the journal: the statement's net cash and credits equal the
account's posting changes made by the market's settlement op types that day, and its
opening plus every change of the day is its closing. Opening, closing and that change
are summed from the journal's postings of the account alone, read by their index
(``market.sql.statements``), and its trades by the account's indexes on the trade rows:
the statement no longer reads the rest of the journal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pctrade.identity.queries import onboarders_of
from pctrade.kernel.errors import Conflict, NotFound, ValidationError
from pctrade.ledger import access
from pctrade.ledger.journal import JsonDict, format_ts
from pctrade.ledger.model import Role, State
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import AUTHORITIES, account_of, require_holder
from pctrade.ledger.write import acting_party
from pctrade.market.data import TradeMode, TradeRecord, daily_series, trade_tape
from pctrade.market.engine import Side
from pctrade.market.model import CHINA_STANDARD_TIME
from pctrade.market.reads import close_before
from pctrade.market.service import Market
from pctrade.market.sql import statements as sdb
from pctrade.market.sql import store as db
from pctrade.market.sql import venues as vdb
from pctrade.market.surveillance import (
    HolderPosition,
    OrderAction,
    OrderRecord,
    Relation,
    abnormal_trading_report,
    large_holder_report,
)

STATEMENT_LINES_MAX = 10_000
SAME_AGENT = "same_agent"  # a ``[surveillance] related_kinds`` kind
PERIOD_DAYS_MAX = 366
REPORT_TRADES_MAX = 200_000
_MODE = {"listing": TradeMode.LISTING, "block": TradeMode.BLOCK, "auction": TradeMode.AUCTION}


def _day(value: str, what: str = "day") -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"not a {what}: {value!r}", code="bad_date") from exc


def _at(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)


class MarketReports:
    """Read-only reports over the market's tables and the journal."""

    def __init__(self, market: Market) -> None:
        self.m = market
        self.store = market.store

    # ---- statements ----------------------------------------------------------------
    def statement(self, actor: str, account_id: int, day: str) -> JsonDict:
        """The account's daily settlement statement (module docstring)."""
        on = _day(day)
        with self.store.reader() as uow:
            who = acting_party(uow, actor)
            account = account_of(uow, account_id)
            if who.role not in AUTHORITIES:
                require_holder(uow, who, account)
            codes = {int(c["contract_id"]): str(c["code"]) for c in db.contracts_all(uow)}
            lines = [
                _line(row, account_id, codes)
                for row in sdb.trades_on(uow, account_id, on.isoformat(), STATEMENT_LINES_MAX)
            ]
            opening, closing, settled = _positions(uow, account_id, on)
        return {
            "account": account_id,
            "day": on.isoformat(),
            "lines": lines,
            "opening": opening,
            "closing": closing,
            "settled": settled,
            "net_cash_fen": sum(int(x["net_fen"]) for x in lines),
            "net_credits_g": sum(int(x["credits_g"]) for x in lines),
        }

    def auction_row(self, uow: UnitOfWork, code: str, auction_id: int) -> db.Row:
        """An auction's stored row (its terms, state and published result)."""
        contract = db.contract(uow, code)
        row = (
            None if contract is None else vdb.auction(uow, int(contract["contract_id"]), auction_id)
        )
        if row is None:
            raise NotFound(f"no auction {auction_id} of {code}", code="unknown_auction")
        return row

    # ---- market data ----------------------------------------------------------------
    def trade_records(self, code: str | None, first: str, last: str) -> list[TradeRecord]:
        """Trades of every mode in the period, as ``market.data`` and surveillance read them."""
        with self.store.reader() as uow:
            return self._records(uow, code, _day(first), _day(last))

    def _records(
        self, uow: UnitOfWork, code: str | None, first: date, last: date
    ) -> list[TradeRecord]:
        if (last - first).days > PERIOD_DAYS_MAX or last < first:
            raise ValidationError(f"a period is 1 to {PERIOD_DAYS_MAX} days", code="bad_period")
        contracts = {int(c["contract_id"]): c for c in db.contracts_all(uow)}
        cid = None
        if code is not None:
            found = db.contract(uow, code)
            if found is None:
                raise NotFound(f"no contract {code}", code="unknown_contract")
            cid = int(found["contract_id"])
        rows = db.trades_between(uow, cid, first.isoformat(), last.isoformat(), REPORT_TRADES_MAX)
        owners: dict[int, str] = {}

        def owner(account: int) -> str:
            if account not in owners:
                owners[account] = account_of(uow, account).owner
            return owners[account]

        return [
            TradeRecord(
                int(r["entry_seq"]),
                str(contracts[int(r["contract_id"])]["code"]),
                int(r["seq"]),
                date.fromisoformat(str(r["day"])),
                _at(str(r["ts"])),
                owner(int(r["buyer_account"])),
                owner(int(r["seller_account"])),
                str(r["buyer_account"]),
                str(r["seller_account"]),
                int(r["price_fen_per_t"]),
                int(r["quantity_g"]),
                _MODE[str(r["mode"])],
            )
            for r in rows
        ]

    def daily_bars(self, code: str, first: str, last: str) -> list[JsonDict]:
        """OHLC, volume and the close per trading day (``market.data.daily``)."""
        a, b = _day(first), _day(last)
        with self.store.reader() as uow:
            contract = db.contract(uow, code)
            if contract is None:
                raise NotFound(f"no contract {code}", code="unknown_contract")
            records = self._records(uow, code, a, b)
            rule_set = self.m.rules.in_force(str(contract["market"]), b)
            trading = self.m._trading(rule_set, str(contract["instrument"]))
            previous = close_before(uow, contract, a)
        # The calendar's trading days of the period (and any day a trade was recorded on).
        days = sorted(
            {d for d in _days(a, b) if trading.is_trading_day(d)} | {t.day for t in records}
        )
        bars = daily_series(code, days, records, previous, trading.price_step_fen_per_t)
        return [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in bar._asdict().items()}
            for bar in bars
        ]

    def tape(
        self, code: str, first: str, last: str, after_seq: int = 0, limit: int = 100
    ) -> list[JsonDict]:
        """The public trade tape (no party named)."""
        records = self.trade_records(code, first, last)
        return [
            {**e._asdict(), "at": e.at.isoformat(), "mode": str(e.mode)}
            for e in trade_tape(records, code, after_seq=after_seq, limit=limit)
        ]

    # ---- surveillance (the regulator) -------------------------------------------------
    def _require_authority(self, uow: UnitOfWork, actor: str) -> None:
        access.require_role(acting_party(uow, actor), AUTHORITIES, "read surveillance reports")

    def order_records(self, uow: UnitOfWork, code: str) -> list[OrderRecord]:
        contract = db.contract(uow, code)
        if contract is None:
            raise NotFound(f"no contract {code}", code="unknown_contract")
        cid = int(contract["contract_id"])
        out = []
        for c in db.commands_between(uow, cid, ("place", "cancel", "amend"), REPORT_TRADES_MAX):
            if c["order_id"] is None:
                continue  # logged before the action's facts were recorded (0016)
            order = db.order(uow, cid, int(c["order_id"]))
            if order is None:
                continue
            out.append(
                OrderRecord(
                    int(c["order_id"]),
                    code,
                    int(c["seq"]),
                    _at(str(c["ts"])),
                    str(order["owner"]),
                    str(order["account_id"]),
                    Side(order["side"]),
                    OrderAction(c["kind"]),
                    int(c["price_fen_per_t"]),
                    int(c["quantity_g"]),
                    None if c["touch_fen_per_t"] is None else int(c["touch_fen_per_t"]),
                )
            )
        return out

    def abnormal_trading(self, actor: str, code: str, first: str, last: str) -> JsonDict:
        """The abnormal-trading report of a contract and period (for the regulator)."""
        a, b = _day(first), _day(last)
        with self.store.reader() as uow:
            self._require_authority(uow, actor)
            contract = db.contract(uow, code)
            if contract is None:
                raise NotFound(f"no contract {code}", code="unknown_contract")
            trades = self._records(uow, code, a, b)
            orders = [
                o
                for o in self.order_records(uow, code)
                if a <= o.at.astimezone(CHINA_STANDARD_TIME).date() <= b
            ]
            previous = {code: close_before(uow, contract, a)}
            relations = _relations(uow, trades)
        rule_set = self.m.rules.in_force(str(contract["market"]), b)
        if rule_set.surveillance is None:
            raise Conflict(f"rule set {rule_set.version} has no [surveillance]", code="no_rule")
        instruments = {code: str(contract["instrument"])}
        report = abnormal_trading_report(trades, orders, relations, rule_set, previous, instruments)
        return dict(_jsonable(report._asdict()))

    def large_holders(self, actor: str, market: str, day: str) -> JsonDict:
        """Holders above the disclosure threshold of ``market``'s ``[positions]``."""
        on = _day(day)
        rule_set = self.m.rules.in_force(market, on)
        positions = rule_set.require_positions()
        with self.store.reader() as uow:
            self._require_authority(uow, actor)
            counted = {
                b.asset_id
                for b in uow.batches()
                if str(b.denomination.instrument) in positions.instruments
            }
            per_party: dict[str, int] = {}
            for (account_id, asset_id, state), amount in uow.stored_balances():
                if asset_id in counted and state in (State.AVAILABLE, State.FROZEN) and amount:
                    acct = uow.account(account_id)
                    if acct is not None and acct.owner:
                        per_party[acct.owner] = per_party.get(acct.owner, 0) + amount
            holders = []
            for party, holding in sorted(per_party.items()):
                p = uow.party(party)
                emitter = p is not None and p.role == Role.EMITTER
                holders.append(HolderPosition(party, holding, 0 if emitter else None))
        return dict(_jsonable(large_holder_report(holders, rule_set)._asdict()))


def _days(a: date, b: date) -> list[date]:
    return [date.fromordinal(n) for n in range(a.toordinal(), b.toordinal() + 1)]


def _relations(uow: UnitOfWork, trades: list[TradeRecord]) -> list[Relation]:
    """Relations between the trades' parties that the registry knows of.

    ``same_party`` needs no record (the report sees it). Two parties a platform onboarded
    are related as ``same_agent`` (their accounts' orders can be entered by one agent),
    read through identity's queries; the registry operator's onboarding relates no one.
    """
    parties = {t.buyer_party for t in trades} | {t.seller_party for t in trades}
    agents = onboarders_of(uow, parties)
    platforms = {
        a
        for a in set(agents.values())
        if (p := uow.party(a)) is not None and p.role == Role.PLATFORM
    }
    pairs = {tuple(sorted((t.buyer_party, t.seller_party))) for t in trades}
    return [
        Relation(a, b, SAME_AGENT)
        for a, b in sorted(pairs)
        if a != b and agents.get(a) in platforms and agents.get(a) == agents.get(b)
    ]


def _line(row: db.Row, account_id: int, codes: dict[int, str]) -> JsonDict:
    buyer = int(row["buyer_account"]) == account_id
    gross = int(row["cash_fen"])
    fee = int(row["buyer_fee_fen"]) if buyer else int(row["seller_fee_fen"])
    return {
        "trade": row["trade_id"],
        "contract": codes[int(row["contract_id"])],
        "mode": row["mode"],
        "side": "buy" if buyer else "sell",
        "quantity_g": int(row["quantity_g"]),
        "credits_g": int(row["quantity_g"]) if buyer else -int(row["quantity_g"]),
        "price_fen_per_t": int(row["price_fen_per_t"]),
        "gross_fen": gross,
        "fee_fen": fee,
        "net_fen": -(gross + fee) if buyer else gross - fee,
        "entry_seq": int(row["entry_seq"]),
    }


def _positions(uow: UnitOfWork, account_id: int, on: date) -> tuple[JsonDict, JsonDict, JsonDict]:
    """Opening and closing cash and credits of the day, and the settlement ops' change."""
    start = datetime.combine(on, time(), CHINA_STANDARD_TIME)
    bounds = format_ts(start), format_ts(start + timedelta(days=1))
    opening = {"cash_fen": 0, "credits_g": 0}
    closing = {"cash_fen": 0, "credits_g": 0}
    settled = {"cash_fen": 0, "credits_g": 0}
    for part in sdb.posting_sums(uow, account_id, *bounds):
        field = "cash_fen" if part["cash"] else "credits_g"
        closing[field] += part["delta"]
        if not part["on_day"]:
            opening[field] += part["delta"]
        elif part["settles"]:
            settled[field] += part["delta"]
    return opening, closing, settled


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if hasattr(value, "_asdict"):
            return _jsonable(value._asdict())
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    return value
