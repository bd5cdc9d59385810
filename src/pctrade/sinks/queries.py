"""Sink reads: a project's row and its unit offer, and "mine", what one account sponsored
and was credited.

A sponsor sees, before spending, what one unit is, the removal the published model
expects of it over the crediting period, the price that follows from the rule set's
ratio (``sinks.price``), and when credits are expected: ex post, after each verified
monitoring report, the first one for a period ending on or after the day they sponsor.

A person's view of the forests they sponsored ("my trees / my credits") joins three
records: their sponsorships (units and the green energy spent), the attribution tables
of the batches issued since (their grams, and whether a leftover gram came to them),
and what they still hold of each batch. It writes nothing, so it lives apart from the
use cases in ``sinks.service``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pctrade.kernel.errors import NotFound
from pctrade.kernel.limits import PAGE_SIZE_MAX
from pctrade.kernel.paging import Page, fetch_size, page_of
from pctrade.ledger.model import AccountId, State
from pctrade.ledger.ports import Store, UnitOfWork
from pctrade.ledger.service import Registry
from pctrade.sinks.monitoring import ReportStatus
from pctrade.sinks.price import next_period_end
from pctrade.sinks.project import SponsorUnit, UnitKind
from pctrade.sinks.sql import store as db


def project_row(uow: UnitOfWork, code: str, *, lock: bool = False) -> db.Row:
    """A sink project's row (``lock``: for update), or ``unknown_project``."""
    row = db.project(uow, code, lock=lock)
    if row is None:
        raise NotFound(f"no sink project {code}", code="unknown_project")
    return row


def unit_definition(project: db.Row) -> str:
    """What one sponsor unit of ``project`` is, in words."""
    if project["unit_kind"] is None:  # registered before units were declared
        return f"one tree (one of the {int(project['units_offered']):,} units offered)"
    unit = SponsorUnit(
        UnitKind(project["unit_kind"]),
        int(project["units_total"]),
        int(project["unit_area_m2"]),
        int(project["m2_per_unit"]),
    )
    return unit.describe()


@dataclass(frozen=True, slots=True)
class UnitOffer:
    """What a sponsor sees before spending: the unit, its price and what backs it."""

    code: str
    status: str
    unit_definition: str
    units_total: int
    units_left: int
    price_g: int  # green energy per unit
    expected_removal_g: int | None  # per unit over the crediting period (None: unpublished)
    energy_per_removal_bps: int | None
    rule_set: str
    model_version: str
    crediting_start: str
    crediting_end: str
    first_credits_after: str  # the end of the first monitoring period that can include it
    credits: str  # how and when credits come, in words


def unit_offer(registry: Registry, code: str) -> UnitOffer:
    """The offer of ``code`` today, for a sponsor deciding whether to spend."""
    today = registry.clock().date()
    with registry.store.reader() as uow:
        p = project_row(uow, code)
        reports = db.reports_of(uow, code)
    last = reports[-1] if reports else None
    after = next_period_end(
        today,
        None if last is None else date.fromisoformat(last["period_start"]),
        None if last is None else date.fromisoformat(last["period_end"]),
    )
    expected = p["unit_expected_g"]
    units_total = int(p["units_total"] or p["units_offered"])
    return UnitOffer(
        code,
        p["status"],
        unit_definition(p),
        units_total,
        int(p["units_offered"]) - int(p["units_sold"]),
        int(p["unit_energy_g"]),
        None if expected is None else int(expected),
        None if p["energy_per_removal_bps"] is None else int(p["energy_per_removal_bps"]),
        p["rule_set"],
        p["model_version"],
        p["crediting_start"],
        p["crediting_end"],
        after.isoformat(),
        "ex post: after each monitoring report is verified, the unit's share of the "
        f"verified removals (less the buffer), from the period ending {after.isoformat()} "
        f"until the crediting period ends on {p['crediting_end']}",
    )


@dataclass(frozen=True, slots=True)
class MyCredit:
    """One line of a batch's attribution table that names me, and what I hold of it."""

    batch: str
    issue_seq: int  # the issue entry: the certificate of where these grams came from
    shares: int
    credited_g: int
    rounded_up: bool  # whether one of the batch's leftover grams came to me
    available_g: int  # what I still hold of the batch (I may have sold or retired some)


@dataclass(frozen=True, slots=True)
class MyProject:
    code: str
    name: str
    project_type: str
    forest_type: str
    status: str
    units: int
    energy_g: int
    units_sold: int  # all sponsors' units; my share of the project is units / units_sold
    verified_g: int  # the project's verified removals so far, all reports
    credits: list[MyCredit]

    @property
    def credited_g(self) -> int:
        return sum(c.credited_g for c in self.credits)


def mine(
    registry: Registry, account_id: AccountId, after: str = "", limit: int = PAGE_SIZE_MAX
) -> Page[MyProject]:
    """A page of the projects an account sponsored (by code, after ``after``): units,
    energy spent, removals, credits."""
    n = fetch_size(limit, PAGE_SIZE_MAX)
    with registry.store.reader() as uow:
        if uow.account(account_id) is None:
            raise NotFound(f"no account {account_id}", code="unknown_account")
        units: dict[str, list[int]] = {}
        for s in db.sponsorships_of_account(uow, account_id):
            if s["project_code"] > after:
                pair = units.setdefault(s["project_code"], [0, 0])
                pair[0] += int(s["units"])
                pair[1] += int(s["energy_g"])
        codes = sorted(units)[:n]
        credits = _my_credits(uow, account_id)
        rows = [
            _my_project(uow, code, units[code][0], units[code][1], credits.get(code, []))
            for code in codes
        ]
    return page_of(rows, limit, lambda p: (p.code,))


def _my_credits(uow: UnitOfWork, account_id: AccountId) -> dict[str, list[MyCredit]]:
    by_project: dict[str, list[MyCredit]] = {}
    for a in db.attributions_of_account(uow, account_id):
        batch = uow.batch_named(a["batch"])
        held = 0 if batch is None else uow.balance(account_id, batch.asset_id, State.AVAILABLE)
        by_project.setdefault(a["project_code"], []).append(
            MyCredit(
                a["batch"],
                int(a["issue_seq"]),
                int(a["shares"]),
                int(a["amount_g"]),
                bool(a["rounded_up"]),
                held,
            )
        )
    return by_project


def _my_project(
    uow: UnitOfWork, code: str, units: int, energy_g: int, credits: list[MyCredit]
) -> MyProject:
    p = project_row(uow, code)
    verified_g = sum(
        int(r["removals_g"]) for r in db.reports_of(uow, code) if r["status"] == "verified"
    )
    return MyProject(
        code,
        p["name"],
        p["project_type"],
        p["forest_type"],
        p["status"],
        units,
        energy_g,
        int(p["units_sold"]),
        verified_g,
        credits,
    )


# ---- the public view: every project's headline and what was verified ------------------
@dataclass(frozen=True, slots=True)
class PublicProject:
    """A sink project as the public transparency page shows it: no sponsor, no account."""

    code: str
    name: str
    jurisdiction: str
    forest_type: str
    area_m2: int
    status: str
    crediting_start: str
    crediting_end: str
    units_offered: int
    units_sold: int
    reports_verified: int
    verified_removals_g: int  # the verified reports' measured removals
    issued_g: int  # PCER issued for them: the sponsors' share and the buffer's
    reversed_g: int  # removals reported lost since (fire, felling)


def public_projects(store: Store) -> list[PublicProject]:
    """Every registered project, by code, with its verified removals and issuance."""
    with store.reader() as uow:
        return [_public_project(uow, row) for row in db.all_projects(uow)]


def _public_project(uow: UnitOfWork, row: db.Row) -> PublicProject:
    code = str(row["code"])
    verified = [r for r in db.reports_of(uow, code) if r["status"] == ReportStatus.VERIFIED]
    return PublicProject(
        code=code,
        name=str(row["name"]),
        jurisdiction=str(row["jurisdiction"]),
        forest_type=str(row["forest_type"]),
        area_m2=int(row["area_m2"]),
        status=str(row["status"]),
        crediting_start=str(row["crediting_start"]),
        crediting_end=str(row["crediting_end"]),
        units_offered=int(row["units_offered"]),
        units_sold=int(row["units_sold"]),
        reports_verified=len(verified),
        verified_removals_g=sum(int(r["removals_g"]) for r in verified),
        issued_g=sum(_credited_g(r) for r in db.issuances_of(uow, code)),
        reversed_g=sum(int(r["loss_g"]) for r in db.reversals_of(uow, code)),
    )


def _credited_g(issuance: db.Row) -> int:
    """The grams an issuance credited: its sponsors' and its buffer's (issuances before
    migration 0009 credited every removal, and have no sponsors' column)."""
    if issuance["sponsors_g"] is None:
        return int(issuance["removals_g"])
    return int(issuance["sponsors_g"]) + int(issuance["buffer_g"])
