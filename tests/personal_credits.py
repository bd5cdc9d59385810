"""PCER for tests, obtained the only way the registry allows: through a credit path.

Personal credits are never issued plainly (``personal_credit_path_required``): they come
from verified sink removals traced to their sponsors, or from avoided emissions on the
carbon-inclusive path. A test that needs people to hold PCER calls ``issue_pcer``, which
walks the carbon-inclusive path, the shorter of the two, for real:

1. the registry operator credits one day's green energy to the holders (one
   ``energy_credit`` entry with a ``metro/v1`` statement line each);
2. each holder collects it (only collected energy is claimed);
3. the day after, the registry operator opens a Guangdong carbon-inclusive issuance for
   that day, an independent verifier verifies the claim, and the operator issues it:
   one ``inclusive_issue`` entry that spends each holder's energy and issues the same
   grams as PCER (``PCER-GD-CI-<quarter>-NNN``).

That is 4 + N writes for N holders: a few milliseconds each on SQLite, tens on
PostgreSQL, so a world may call it per test. ``day`` must be a day no other energy
credit of the database used (a day is credited once), and each holder gets at least
the Guangdong per-person minimum (1 kg). The app's clock (a ``SetClock``) is moved to
the day and back: the caller's clock reads as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from pctrade.bootstrap import App
from pctrade.energy import service as energy_service
from pctrade.energy.commands import CreditEnergy
from pctrade.energy.entries import credit_energy
from pctrade.energy.model import EnergyCredit, EnergyLine
from pctrade.inclusive.claim import Period
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import SYSTEM_OWNER, Role

JURISDICTION = "GD"
METHODOLOGY = "metro/v1"
VERIFIER = "ci-verifier"  # opened on first use: neither the requester nor its affiliate


def issue_pcer(app: App, holdings: Mapping[int, int], *, day: date, key: str = "pcer") -> str:
    """Issue ``holdings`` (account → grams) as one carbon-inclusive PCER batch; its name.

    ``key`` prefixes every idempotency key, so two calls in one database differ by it.
    """
    clock = app.clock
    if not isinstance(clock, SetClock):
        raise TypeError("issue_pcer moves the clock: build the app with a SetClock")
    before = clock.now
    try:
        clock.now = datetime.combine(day, time(12), UTC)
        owners = _owners(app, holdings)
        _credit(app, holdings, owners, day, key)
        clock.now = datetime.combine(day + timedelta(days=1), time(2), UTC)
        _ensure_verifier(app)
        period = Period(day, day)
        opened = app.inclusive.open(SYSTEM_OWNER, f"{key}:ci-open", JURISDICTION, period)
        issuance_id = int(opened["issuance_id"])
        app.inclusive.verify(VERIFIER, f"{key}:ci-verify", issuance_id, approve=True)
        issued = app.inclusive.issue(SYSTEM_OWNER, f"{key}:ci-issue", issuance_id)
    finally:
        clock.now = before
    return issued.batch


def _owners(app: App, holdings: Mapping[int, int]) -> dict[int, str]:
    with app.store.reader() as uow:
        found = {a: uow.account(a) for a in holdings}
    missing = [a for a, account in found.items() if account is None]
    if missing:
        raise ValueError(f"no accounts {missing}")
    return {a: account.owner for a, account in found.items() if account is not None}


def _credit(
    app: App, holdings: Mapping[int, int], owners: dict[int, str], day: date, key: str
) -> None:
    """One day's metro energy (1 g per km: the line is its own arithmetic), collected."""
    lines = [
        EnergyLine(
            day.isoformat(),
            account,
            owners[account],
            "metro",
            METHODOLOGY,
            "metro_km",
            "km",
            1,
            grams,
            1_000_000,
            grams * 1_000_000,
            0,
            0,
            grams,
            "",
        )
        for account, grams in sorted(holdings.items())
    ]
    credit = EnergyCredit(day.isoformat(), (METHODOLOGY,), 0, lines)
    credit_energy(app.registry, SYSTEM_OWNER, f"{key}:energy", CreditEnergy(credit))
    for account in sorted(holdings):
        energy_service.collect(
            app.registry,
            owners[account],
            f"{key}:collect:{account}",
            account,
            app.clock(),
            rules=app.rules,
            jurisdiction=JURISDICTION,
        )


def _ensure_verifier(app: App) -> None:
    with app.store.reader() as uow:
        known = uow.party(VERIFIER) is not None
    if not known:
        opening = c.OpenAccount(VERIFIER, Role.VERIFIER, "Carbon-inclusive verifier")
        app.registry.open_account(SYSTEM_OWNER, f"open-{VERIFIER}", opening)
