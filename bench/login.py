"""Login timing over HTTP: an unknown username against a known one's wrong password.

    .venv/bin/python bench/login.py              # 30 of each, argon2-cffi's profile
    .venv/bin/python bench/login.py --quick      # 10 of each

Prints one JSON line per figure: {"bench", "metric", "value", "unit", "baseline",
"ratio"}. Each figure is the median time of ``POST /auth/token`` (a TestClient over a
SQLite registry, the password hashing the deployment would use: ``$PCTRADE_PASSWORD_HASHING``
or the default), the two kinds interleaved so that load falls on both alike.
``unknown_user_ms``'s baseline is ``wrong_password_ms``: a ratio near 1 means the answer
does not tell which usernames exist. ``right_password_ms`` is shown for scale. The
throttle is set out of the way; every answer is checked (401, or 200 for the right one).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from pctrade import bootstrap
from pctrade.api.app import create_app
from pctrade.identity.commands import CreateLogin
from pctrade.identity.model import ThrottlePolicy
from pctrade.identity.service import IdentityConfig
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role

BENCH = "login"
PASSWORD = "correct horse battery"


def emit(metric: str, value: float, unit: str, baseline: float | None = None) -> None:
    ratio = None if baseline is None else value / baseline
    line = {
        "bench": BENCH,
        "metric": metric,
        "value": round(value, 3),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 3),
        "ratio": None if ratio is None else round(ratio, 3),
    }
    print(json.dumps(line), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    rounds = 10 if parser.parse_args().quick else 30
    roomy = ThrottlePolicy(account_attempts_max=10_000, address_attempts_max=10_000)
    hashing = bootstrap.default_identity().hashing
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'login.db'}"
        with bootstrap.build(url, identity=IdentityConfig(hashing, roomy)) as app:
            app.registry.open_account("registry", "open", c.OpenAccount("ind", Role.INDIVIDUAL))
            app.identity.create_login("registry", "login", CreateLogin("ind", "ind", PASSWORD))
            with TestClient(create_app(app)) as client:
                times = measure(client, rounds)
    wrong = statistics.median(times["wrong_password_ms"])
    emit("unknown_user_ms", statistics.median(times["unknown_user_ms"]), "ms", wrong)
    emit("wrong_password_ms", wrong, "ms")
    emit("right_password_ms", statistics.median(times["right_password_ms"]), "ms")


def measure(client: TestClient, rounds: int) -> dict[str, list[float]]:
    cases = {
        "unknown_user_ms": ("nobody", "wrong password", 401),
        "wrong_password_ms": ("ind", "wrong password", 401),
        "right_password_ms": ("ind", PASSWORD, 200),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    client.post("/auth/token", json={"username": "ind", "password": PASSWORD})  # warm up
    for _ in range(rounds):
        for name, (username, password, status) in cases.items():
            started = time.perf_counter()
            r = client.post("/auth/token", json={"username": username, "password": password})
            times[name].append((time.perf_counter() - started) * 1000)
            if r.status_code != status:
                raise SystemExit(f"{name}: expected {status}, got {r.status_code}: {r.text}")
    return times


if __name__ == "__main__":
    main()
