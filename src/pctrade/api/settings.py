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
