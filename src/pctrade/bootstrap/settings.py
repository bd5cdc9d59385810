"""What a server is built from (``pctrade serve``), read and checked in one place.

``pctrade serve --workers N`` runs N worker processes, and uvicorn starts each one as a
fresh interpreter that imports the API and builds its own app: the settings cannot be
handed over as Python objects. So they travel as environment variables — the command
line writes the ones it was given (``ServeSettings.to_env``) and every worker reads
them back (``ServeSettings.from_env``), as a deployment that sets them itself would:

    PCTRADE_DATABASE_URL       the database (as every command)
    PCTRADE_DATA_DIR           the data folder (as every command)
    PCTRADE_WORKERS            worker processes (1)
    PCTRADE_WORKER_HEALTHCHECK_S  how long a worker may take to answer the supervisor (30)
    PCTRADE_CLOCK_OFFSET_S     seconds added to the wall clock (0): a rehearsal or a test
                               server that stands on a trading morning whenever started
    PCTRADE_STREAM_POLL_S      how often a market stream reads its contract's seq (0.25)
    PCTRADE_STREAM_IDLE_S      how long a stream stays open with nothing new (25)
    PCTRADE_STREAM_EVENTS_MAX  events one stream sends before it ends (100,000)
    PCTRADE_WEB_SECRET         the web pages' CSRF key, hex (``pctrade serve`` makes one
                               per start when unset, so that every worker shares it)

A value out of its bounds is refused with ``bad_setting`` before anything starts, so a
typo in a deployment's environment fails at start-up and not in some worker later.

Where ``pctrade behaviour quantify --engine spark`` runs (``SparkSettings``; each has an
option of the same name, ``--spark-master`` …, which wins over the variable):

    PCTRADE_SPARK_MASTER       ``spark://host:7077``: an existing standalone cluster;
                               ``local[N]``: N threads here (unset: ``local[2]``)
    PCTRADE_SPARK_EXECUTOR_MEMORY  each executor's heap on the cluster (``2g``)
    PCTRADE_SPARK_EXECUTOR_CORES   each executor's cores (unset: all of its worker's)
    PCTRADE_SPARK_WORK_DIR     where a run's temporary files go (unset: the system's
                               temporary folder); on a cluster, storage every worker
                               sees at the same path, as the data folder must be
Every worker builds the same app (``serve_app``): the wall clock moved by the offset,
the shipped rule book, group commit on. What keeps one matcher per contract across the
workers is the database, not these settings (``market.service``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Final

from pctrade.energy.pipeline.spark_engine import is_jvm_size, is_master
from pctrade.kernel.errors import ValidationError

ENV_DATABASE_URL: Final = "PCTRADE_DATABASE_URL"
ENV_DATA_DIR: Final = "PCTRADE_DATA_DIR"
ENV_WORKERS: Final = "PCTRADE_WORKERS"
ENV_WORKER_HEALTHCHECK_S: Final = "PCTRADE_WORKER_HEALTHCHECK_S"
ENV_CLOCK_OFFSET_S: Final = "PCTRADE_CLOCK_OFFSET_S"
ENV_STREAM_POLL_S: Final = "PCTRADE_STREAM_POLL_S"
ENV_STREAM_IDLE_S: Final = "PCTRADE_STREAM_IDLE_S"
ENV_STREAM_EVENTS_MAX: Final = "PCTRADE_STREAM_EVENTS_MAX"
ENV_WEB_SECRET: Final = "PCTRADE_WEB_SECRET"
ENV_SPARK_MASTER: Final = "PCTRADE_SPARK_MASTER"
ENV_SPARK_EXECUTOR_MEMORY: Final = "PCTRADE_SPARK_EXECUTOR_MEMORY"
ENV_SPARK_EXECUTOR_CORES: Final = "PCTRADE_SPARK_EXECUTOR_CORES"
ENV_SPARK_WORK_DIR: Final = "PCTRADE_SPARK_WORK_DIR"
WEB_SECRET_BYTES_MIN = 16

# The bounds of each setting (inclusive).
WORKERS_MAX: Final = 64  # a process per core is the sensible most; 64 is a lot of cores
WORKER_HEALTHCHECK_S_MAX: Final = 600
CLOCK_OFFSET_S_MAX: Final = 100 * 366 * 86_400  # a century either way
STREAM_POLL_S_MIN: Final = 0.01  # more often is a busy loop on the database
STREAM_POLL_S_MAX: Final = 60.0
STREAM_IDLE_S_MAX: Final = 3_600.0  # proxies drop idle connections long before
STREAM_EVENTS_MAX_MAX: Final = 1_000_000
STREAM_EVENTS_MAX_DEFAULT: Final = 100_000
SPARK_LOCAL_DEFAULT: Final = "local[2]"
SPARK_EXECUTOR_CORES_MAX: Final = 1024

# (environment variable, field, parser, lowest, highest)
_NUMBERS: Final[tuple[tuple[str, str, type, float, float], ...]] = (
    (ENV_WORKERS, "workers", int, 1, WORKERS_MAX),
    (ENV_WORKER_HEALTHCHECK_S, "worker_healthcheck_s", int, 1, WORKER_HEALTHCHECK_S_MAX),
    (ENV_CLOCK_OFFSET_S, "clock_offset_s", float, -CLOCK_OFFSET_S_MAX, CLOCK_OFFSET_S_MAX),
    (ENV_STREAM_POLL_S, "stream_poll_s", float, STREAM_POLL_S_MIN, STREAM_POLL_S_MAX),
    (ENV_STREAM_IDLE_S, "stream_idle_s", float, STREAM_POLL_S_MIN, STREAM_IDLE_S_MAX),
    (ENV_STREAM_EVENTS_MAX, "stream_events_max", int, 1, STREAM_EVENTS_MAX_MAX),
)


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """A server's settings; ``check()`` has passed for every instance ``from_env`` or
    ``with_`` returns."""

    database_url: str | None = None  # None: the default database (SQLite in the cwd)
    data_dir: Path | None = None  # None: the database's default data folder
    workers: int = 1
    # uvicorn's supervisor replaces a worker that does not answer its ping in this long.
    # Its own default, 5 s, is shorter than a new worker takes to import the API on a
    # busy two-core machine, and it then replaced every new worker before it could
    # start; a worker that has died is replaced at once whatever this is.
    worker_healthcheck_s: int = 30
    clock_offset_s: float = 0.0
    stream_poll_s: float = 0.25
    stream_idle_s: float = 25.0
    stream_events_max: int = STREAM_EVENTS_MAX_DEFAULT
    web_secret: str | None = dataclass_field(default=None, repr=False)  # hex

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServeSettings:
        """The settings the environment states (``os.environ`` if none is given); the
        defaults for what it does not."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, field, kind, _low, _high in _NUMBERS:
            text = env.get(name, "").strip()
            if text:
                values[field] = _number(name, text, kind)
        values["database_url"] = env.get(ENV_DATABASE_URL) or None
        data_dir = env.get(ENV_DATA_DIR)
        values["data_dir"] = Path(data_dir) if data_dir else None
        values["web_secret"] = env.get(ENV_WEB_SECRET, "").strip() or None
        return cls(**values).check()

    def with_(self, **given: Any) -> ServeSettings:
        """These settings with those ``given`` that are not None (command-line options)."""
        return replace(self, **{k: v for k, v in given.items() if v is not None}).check()

    def check(self) -> ServeSettings:
        for name, field, kind, low, high in _NUMBERS:
            value = getattr(self, field)
            whole = kind is float or (isinstance(value, int) and not isinstance(value, bool))
            if not whole or not math.isfinite(value) or not low <= value <= high:
                raise ValidationError(
                    f"{name} ({field}) is {value!r}, not a {kind.__name__} from {low} to {high}",
                    code="bad_setting",
                )
        if self.web_secret is not None and not _long_hex(self.web_secret):
            raise ValidationError(
                f"{ENV_WEB_SECRET} is not hex of {WEB_SECRET_BYTES_MIN} bytes or more",
                code="bad_setting",
            )
        return self

    def to_env(self) -> dict[str, str]:
        """The environment that makes ``from_env`` answer these settings."""
        env = {name: repr(getattr(self, field)) for name, field, *_ in _NUMBERS}
        if self.database_url is not None:
            env[ENV_DATABASE_URL] = self.database_url
        if self.data_dir is not None:
            env[ENV_DATA_DIR] = str(self.data_dir.absolute())
        if self.web_secret is not None:
            env[ENV_WEB_SECRET] = self.web_secret
        return env


@dataclass(frozen=True, slots=True)
class SparkSettings:
    """Where the Spark engine runs; ``check()`` has passed for every instance
    ``from_env`` or ``with_`` returns."""

    master: str = SPARK_LOCAL_DEFAULT
    executor_memory: str = "2g"
    executor_cores: int | None = None  # None: all of a worker's cores
    work_dir: Path | None = None  # None: the system's temporary folder

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SparkSettings:
        """The settings the environment states (``os.environ`` if none is given); the
        defaults for what it does not."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        if master := env.get(ENV_SPARK_MASTER, "").strip():
            values["master"] = master
        if memory := env.get(ENV_SPARK_EXECUTOR_MEMORY, "").strip():
            values["executor_memory"] = memory
        if cores := env.get(ENV_SPARK_EXECUTOR_CORES, "").strip():
            values["executor_cores"] = _number(ENV_SPARK_EXECUTOR_CORES, cores, int)
        if work_dir := env.get(ENV_SPARK_WORK_DIR, "").strip():
            values["work_dir"] = Path(work_dir)
        return cls(**values).check()

    def with_(self, **given: Any) -> SparkSettings:
        """These settings with those ``given`` that are not None (command-line options)."""
        return replace(self, **{k: v for k, v in given.items() if v is not None}).check()

    def check(self) -> SparkSettings:
        if not is_master(self.master):
            raise ValidationError(
                f"{ENV_SPARK_MASTER} is {self.master!r}, not spark://host:port or local[N]",
                code="bad_setting",
            )
        if not is_jvm_size(self.executor_memory):
            raise ValidationError(
                f"{ENV_SPARK_EXECUTOR_MEMORY} is {self.executor_memory!r}, not a size "
                "such as 512m or 2g",
                code="bad_setting",
            )
        cores = self.executor_cores
        if cores is not None and not 1 <= cores <= SPARK_EXECUTOR_CORES_MAX:
            raise ValidationError(
                f"{ENV_SPARK_EXECUTOR_CORES} is {cores}, not from 1 to {SPARK_EXECUTOR_CORES_MAX}",
                code="bad_setting",
            )
        # A relative folder would mean another place on each worker.
        if self.work_dir is not None and not self.work_dir.is_absolute():
            raise ValidationError(
                f"{ENV_SPARK_WORK_DIR} is {str(self.work_dir)!r}, not an absolute path",
                code="bad_setting",
            )
        return self

    def to_env(self) -> dict[str, str]:
        """The environment that makes ``from_env`` answer these settings."""
        env = {ENV_SPARK_MASTER: self.master, ENV_SPARK_EXECUTOR_MEMORY: self.executor_memory}
        if self.executor_cores is not None:
            env[ENV_SPARK_EXECUTOR_CORES] = str(self.executor_cores)
        if self.work_dir is not None:
            env[ENV_SPARK_WORK_DIR] = str(self.work_dir)
        return env


def _long_hex(text: str) -> bool:
    try:
        return len(bytes.fromhex(text)) >= WEB_SECRET_BYTES_MIN
    except ValueError:
        return False


def _number(name: str, text: str, kind: type) -> Any:
    try:
        return kind(text)
    except ValueError as exc:
        raise ValidationError(
            f"{name} is {text!r}, not a {kind.__name__}", code="bad_setting"
        ) from exc
