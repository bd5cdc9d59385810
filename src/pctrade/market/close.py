"""The day's close of a contract: day orders expire, the close is fixed.

A contract's book is the open trading day's. ``Market.close_day``, run by the operator's
scheduler after the last session, is one command of the contract (its frame:
``market.sequencer``) that

1. expires what is open on the book, releasing each order's holds exactly, and lapses
   the day's block proposals still open (``market.blocks``: a proposal expires no later
   than the close of its session, so the day's end is past every one of them),
   releasing each one's hold exactly;
2. fixes the close: the day's volume-weighted average price of order-book trades,
   rounded half up to the contract's tick (``data.daily.close_on_tick``, as the bars
   round it), or the previous close carried over when nothing traded (block trades and
   auction fills count in volume, never in the close);
3. makes it the next day's reference price for the band, and ends the open day: until
   the day is closed, no order of a later day is taken (``day_not_closed``).

Closing a day that is closed already answers the recorded close (``replayed``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.ledger import access
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.service import AUTHORITIES
from pctrade.ledger.write import acting_party
from pctrade.market import commands as mc
from pctrade.market.blocks import desk_of, lapse_due
from pctrade.market.data.daily import close_on_tick
from pctrade.market.engine import Close
from pctrade.market.frame import _Run
from pctrade.market.model import CHINA_STANDARD_TIME, local_time
from pctrade.market.sql import store as db

if TYPE_CHECKING:
    from pctrade.market.service import Market


def close_day(m: Market, run: _Run, key: str, cmd: mc.CloseDay) -> JsonDict:
    """The close of ``cmd.day`` as one command of the contract (see the module)."""
    actor = run.actor
    access.require_role(acting_party(run.uow, actor), AUTHORITIES, "close a day")
    try:
        day = date.fromisoformat(cmd.day)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"not a day: {cmd.day!r}", code="bad_date") from exc
    done = db.close_of(run.uow, run.cid, day.isoformat())
    if done is not None:
        return {**close_answer(run.code, done), "replayed": True}
    today, second = local_time(m.registry.clock())
    rule_set = m.rules.in_force(str(run.contract["market"]), day)
    trading = m._trading(rule_set, str(run.contract["instrument"]))
    last_close_s = max((s.close_s for s in trading.sessions), default=0)
    if day > today or (day == today and second < last_close_s):
        raise Conflict(f"{run.code}'s {day} has not ended", code="session_not_ended")
    open_day = run.contract["trading_day"]
    if open_day is not None and open_day != day.isoformat():
        raise Conflict(f"{run.code}'s open day is {open_day}", code="day_not_closed")
    book = m.books.book(run, m._params(run.contract, trading))
    m._apply(run, book.close(Close(run.seq)), trading=trading)
    day_ends = datetime.combine(day + timedelta(days=1), time(0), CHINA_STANDARD_TIME)
    lapsed = lapse_due(run, desk_of(run, None, None), int(day_ends.timestamp()))
    run.flush()
    total, volume = db.day_summary(run.uow, run.cid, day.isoformat())
    previous = run.contract["reference_price_fen_per_t"]
    close = close_on_tick(total, volume, previous, trading.price_step_fen_per_t)
    row = {
        "contract_id": run.cid,
        "day": day.isoformat(),
        "close_fen_per_t": close,
        "carried": volume == 0,
        "volume_g": volume,
        "seq": run.seq,
    }
    run.pending.add_close(row)
    run.contract["trading_day"] = None
    run.contract["reference_price_fen_per_t"] = close
    result = {
        **close_answer(run.code, row),
        "seq": run.seq,
        "entries": run.entries,
        "lapsed_proposals": lapsed,
    }
    run.log("close", key, cmd.fingerprint(), result)
    return {**result, "replayed": False}


def close_answer(code: str, row: db.Row) -> JsonDict:
    return {
        "contract": code,
        "day": row["day"],
        "close_fen_per_t": row["close_fen_per_t"],
        "carried": bool(row["carried"]),
        "volume_g": int(row["volume_g"]),
    }
