"""The API's settings: its bounds and its clock, fixed when the app is built."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pctrade.api.auth import TOKEN_TTL_S
from pctrade.api.limits import BODY_BYTES_MAX
from pctrade.energy.ingest import default_data_dir
from pctrade.ledger.service import Clock, utc_now


@dataclass(frozen=True, slots=True)
class ApiSettings:
    token_ttl_s: int = TOKEN_TTL_S
    body_bytes_max: int = BODY_BYTES_MAX
    # Token expiry is judged by this clock; tests move it forward.
    clock: Clock = field(default=utc_now)
    # Concurrent requests' registry operations commit together (one flush per group).
    group_commit: bool = True
    # Where partners' behaviour batches and their reports are kept.
    data_dir: Path = field(default_factory=default_data_dir)
