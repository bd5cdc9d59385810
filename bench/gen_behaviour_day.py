"""Generate a reproducible synthetic day of behaviour events (Parquet).

    .venv/bin/python bench/gen_behaviour_day.py --people 1000000 --out /tmp/day.parquet

The same arguments always produce the same file (integer hashing, no RNG
state); see `pctrade.energy.pipeline.synthetic` for what the day contains.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

from pctrade.energy.pipeline.synthetic import generate_day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--slots", type=int, default=21, help="events per person before faults")
    parser.add_argument("--faults-per-mille", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 11, 24))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    events = generate_day(
        args.out,
        args.day,
        args.people,
        slots=args.slots,
        faults_per_mille=args.faults_per_mille,
        seed=args.seed,
    )
    elapsed_s = time.perf_counter() - started
    print(json.dumps({"path": str(args.out), "events": events, "seconds": round(elapsed_s, 2)}))


if __name__ == "__main__":
    main()
