"""The API's settings: its bounds, fixed when the app is built.

The clock, the data folder and group commit are the app's (``pctrade.bootstrap``). A
server (``pctrade serve``) takes the stream's from its own settings (``served``), which
its command line or environment set (``bootstrap.settings``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pctrade.api.limits import BODY_BYTES_MAX
from pctrade.bootstrap.settings import STREAM_EVENTS_MAX_DEFAULT, ServeSettings
from pctrade.identity.model import TOKEN_TTL_S


@dataclass(frozen=True, slots=True)
class ApiSettings:
    token_ttl_s: int = TOKEN_TTL_S
    body_bytes_max: int = BODY_BYTES_MAX
    # The market's live stream (GET /market/contracts/{code}/stream): how often it reads
    # the contract's seq, how long it stays open with nothing new before it ends, and
    # how many events it sends at most before it ends (the client reconnects with
    # Last-Event-ID and misses nothing; see api.routers.market).
    stream_poll_s: float = 0.25
    stream_idle_s: float = 25.0
    stream_events_max: int = STREAM_EVENTS_MAX_DEFAULT
    # The web pages' CSRF secret (pctrade.web.forms); None: random for each app, which
    # is right for one process. Workers of one server share it, or a form rendered by
    # one would be refused by another.
    web_secret: bytes | None = field(default=None, repr=False)

    @classmethod
    def served(cls, settings: ServeSettings) -> ApiSettings:
        """The API's settings in a server run with ``settings``."""
        return cls(
            stream_poll_s=settings.stream_poll_s,
            stream_idle_s=settings.stream_idle_s,
            stream_events_max=settings.stream_events_max,
            web_secret=None if settings.web_secret is None else bytes.fromhex(settings.web_secret),
        )
