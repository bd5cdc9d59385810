"""Carbon-inclusive issuance benchmark: N people's energy issued as one PCER batch, SQLite.

    .venv/bin/python bench/inclusive.py                  # 1,000,000 people
    .venv/bin/python bench/inclusive.py --quick          # 10,000 people
    .venv/bin/python bench/inclusive.py --people 100000

Prints one JSON line per figure: {"bench", "metric", "value", "unit", "baseline",
"ratio"}. Setup opens N accounts and credits one day of energy, two statement lines per
person (walking and bus, admitted in GD; every tenth person's first line is an e-ticket
line, not admitted, which holds their energy back); then each person collects it (one
``energy_collect`` entry each: only collected energy is claimed). Those N single
entries dominate the setup (``collect_per_s``: about 1,000 per second on SQLite), so
``--quick`` takes 10,000 people, and the full run spends most of its time collecting.
``verify_people_per_s`` is the claim: one SQL statement over the energy ledger plus the
per-person minimum.
``issue_people_per_s`` is ``CarbonInclusive.issue`` end to end: the claim recomputed
inside the entry's transaction, ONE ``inclusive_issue`` entry (three postings per
person), the balances and the attribution table. Its baseline, in the same run, is a
plain bulk ``issue`` of a batch to the same N accounts. Every figure is checked: the
grams issued equal the energy spent, and ``verify`` passes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from pctrade import bootstrap
from pctrade.bootstrap import App
from pctrade.bootstrap.contexts import verify
from pctrade.energy import service as energy
from pctrade.energy.commands import CreditEnergy
from pctrade.energy.entries import credit_energy
from pctrade.energy.model import EnergyCredit, EnergyLine
from pctrade.inclusive.claim import Period
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import ENERGY_ASSET, Role, State
from pctrade.ledger.sql.store import SqlStore

BENCH = "inclusive"
NOW = datetime(2026, 7, 1, 10, tzinfo=UTC)
DAY = "2026-06-30"
JUNE = Period(date(2026, 6, 1), date(2026, 6, 30))


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


def _line(account_id: int, person: str, methodology: str, grams: int) -> EnergyLine:
    return EnergyLine(
        DAY, account_id, person, methodology.split("/")[0], methodology, "b", "unit",
        1, grams, 1_000_000, grams * 1_000_000, 0, 0, grams, "",
    )  # fmt: skip


def setup(store: SqlStore, n: int) -> tuple[App, list[int]]:
    app = bootstrap.build(store, clock=SetClock(datetime(2026, 6, 30, 23, tzinfo=UTC)))
    reg = app.registry
    for party, role in [("reg", Role.REGULATOR), ("cqc", Role.VERIFIER)]:
        reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party))
    people = [f"p{i:07d}" for i in range(n)]
    reg.open_accounts("registry", "o-people", c.OpenAccounts(Role.INDIVIDUAL, people))
    with store.reader() as uow:
        by_person = uow.individual_accounts(people)
    accounts = [by_person[p] for p in people]
    lines = []
    for i, (person, account_id) in enumerate(zip(people, accounts, strict=True)):
        first = "e_ticket/v1" if i % 10 == 0 else "walking/v1"
        lines.append(_line(account_id, person, first, 700 + i % 300))
        lines.append(_line(account_id, person, "bus/v1", 900 + i % 500))
    credit = EnergyCredit(DAY, ("bus/v1", "e_ticket/v1", "walking/v1"), 0, lines)
    credit_energy(reg, "registry", "energy", CreditEnergy(credit))
    started = time.perf_counter()
    now = app.clock()
    for person, account_id in zip(people, accounts, strict=True):
        energy.collect(reg, person, f"collect-{person}", account_id, now, rules=app.rules)
    emit("collect_per_s", n / (time.perf_counter() - started), "collections/s")
    return app, accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 people")
    parser.add_argument("--people", type=int, default=None, help="people (default 1,000,000)")
    args = parser.parse_args()
    n = args.people or (10_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        store = SqlStore(f"sqlite:///{Path(tmp) / 'inclusive.db'}")
        app, accounts = setup(store, n)
        assert isinstance(app.clock, SetClock)
        app.clock.now = NOW
        reg, ci = app.registry, app.inclusive
        opened = ci.open("reg", "bench-open", "GD", JUNE)
        started = time.perf_counter()
        verified = ci.verify("cqc", "bench-verify", int(opened["issuance_id"]), True)
        verify_s = time.perf_counter() - started
        started = time.perf_counter()
        issued = ci.issue("reg", "bench-issue", int(opened["issuance_id"]))
        issue_s = time.perf_counter() - started

        started = time.perf_counter()
        # The baseline: a plain issue of a batch to the same accounts (not PCER, which
        # the registry issues only through a credit path).
        plain = c.Issue("CCER-CN-BASE-2026Q2-001", accounts, [1_000] * n)
        reg.issue("reg", "bench-plain", plain)
        plain_s = time.perf_counter() - started

        check(store, issued.issued_g, int(verified["claim_g"]))
        emit("issue_people_per_s", issued.people / issue_s, "people/s", n / plain_s)
        emit("issue_seconds", issue_s, "s")
        emit("verify_people_per_s", n / verify_s, "people/s")
        emit("people_issued", issued.people, "people")
        store.dispose()


def check(store: SqlStore, issued_g: int, claim_g: int) -> None:
    """A fast wrong answer is not a result: the grams issued are the energy spent."""
    with store.reader() as uow:
        spent = sum(
            uow.balance(a.account_id, ENERGY_ASSET, State.SPENT)
            for a in uow.accounts_of("p0000001")
        )
    if issued_g != claim_g or spent <= 0:
        raise SystemExit(f"grams do not add up: {issued_g} {claim_g} {spent}")
    report = verify(store)
    if not report.ok:
        raise SystemExit(f"verify failed: {report.problems[:3]}")


if __name__ == "__main__":
    main()
