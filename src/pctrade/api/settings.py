"""The API's settings: its bounds, fixed when the app is built.

The clock, the data folder and group commit are the app's (``pctrade.bootstrap``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.api.limits import BODY_BYTES_MAX
from pctrade.identity.model import TOKEN_TTL_S


@dataclass(frozen=True, slots=True)
class ApiSettings:
    token_ttl_s: int = TOKEN_TTL_S
    body_bytes_max: int = BODY_BYTES_MAX
    # The market's live stream (GET /market/contracts/{code}/stream): how often it reads
    # the contract's seq, and how long it stays open with nothing new before it ends
    # (the client reconnects with Last-Event-ID; see api.routers.market).
    stream_poll_s: float = 0.25
    stream_idle_s: float = 25.0
