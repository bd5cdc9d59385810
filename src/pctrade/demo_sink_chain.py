"""The demo's summer: 低碳足迹 → 碳汇 → 碳排放额, behaviour to energy to personal credits.

June to October 2026 on the scenario clock (the steps of ``pctrade.demo``):

1. a metro app sends a day of everyone's trips; the daily pipeline (DuckDB) quantifies
   them under the published methodologies — refusing one event and holding another for
   review — and credits green energy, uncollected;
2. the forest owner registers afforestation project AFF0007 (1 m² units of its
   200,000 m², priced by the published standard: the removal the model expects of 1 m²
   over the 20-year crediting period, at the rule set's 1 g of energy per g, about
   18.7 kg), and the regulator approves it;
3. the travellers travel green for four weeks, each day quantified by the same
   pipeline, and collect their energy daily (collected energy does not expire); then
   all but one spend it on m². The one who keeps it, the *saver*, goes on claiming it
   on the carbon-inclusive path;
4. after the quarter the owner files measured removals, an independent verifier
   verifies them, and the regulator issues PCER: of the sponsored m²'s removals, the
   buffer share to the buffer account, then to each sponsor the rest of their own m²'s
   removals (exact to the gram, one bulk entry); what the m² nobody sponsored removed
   stays with the project, unissued;
5. the summer's carbon-inclusive issuance (June to September, Guangdong's path): every
   person's collected energy of the summer still unspent — the saver's four weeks, the
   sponsors' change — becomes PCER of the same vintage as the sink batch, one
   ``inclusive_issue`` entry that spends the energy it issues. These are personal
   credits a person can hold by the kilogram, which the market's PCER lot is made for.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from pctrade.demo_seeder import (
    CREDITING,
    FOREST,
    HOURS_2,
    M2_PER_UNIT,
    MEASURED_PERCENT,
    MONITORING,
    PLATFORM,
    PROJECT,
    PROJECT_AREA_M2,
    REGULATOR,
    SPONSOR_DAY,
    SPONSORING_DAY,
    STAND_AGE_Y,
    SUMMER,
    TRAVEL_DAYS,
    UNITS_TOTAL,
    VERIFIER,
    Conversion,
    Seeder,
    Travel,
    utc,
)
from pctrade.energy.pipeline.synthetic import synthetic_as_of_ms
from pctrade.kernel.errors import NotFound
from pctrade.sinks.monitoring import Period
from pctrade.sinks.price import spec_standard
from pctrade.sinks.project import Parcel, ProjectSpec, ProjectType, SponsorUnit, UnitKind
from pctrade.sinks.removals import expected_removal_g
from pctrade.sinks.service import Issuance
from pctrade.sinks.sql import store as sinks_store


def credit_june_energy(s: Seeder) -> None:
    s.result.days.append(s.credit_energy(SPONSOR_DAY, seed=601, richness=10))


def register_project(s: Seeder) -> None:
    s.clock.now = utc(2026, 6, 1, 2)
    try:
        s.sinks.project(PROJECT)
    except NotFound:
        s.sinks.register(FOREST, "demo:sink:register", _priced_spec(s), stand_age_y=STAND_AGE_Y)
        s.count(replayed=False)
        s.clock.now = utc(2026, 6, 1, 3)
        s.sinks.approve(REGULATOR, "demo:sink:approve", PROJECT)
        s.count(replayed=False)
    else:
        s.result.replayed += 2  # registration and approval


def _project_spec(unit_energy_g: int) -> ProjectSpec:
    return ProjectSpec(
        code=PROJECT,
        name="韶关丹霞山造林 Shaoguan Danxia afforestation",
        project_type=ProjectType.AFFORESTATION,
        jurisdiction="GD",
        forest_type="chinese_fir",
        parcels=(Parcel("SG-12", 120_000, 8), Parcel("SG-13", 80_000, 5)),
        crediting_start=CREDITING[0],
        crediting_end=CREDITING[1],
        unit_energy_g=unit_energy_g,
        units_offered=UNITS_TOTAL,
        affiliates=(PLATFORM,),
        unit=SponsorUnit(UnitKind.AREA, UNITS_TOTAL, PROJECT_AREA_M2, M2_PER_UNIT),
    )


def _priced_spec(s: Seeder) -> ProjectSpec:
    """AFF0007 at the published price: the model's expectation of 1 m² over the
    crediting period, at the Guangdong rule set's ratio."""
    spec = _project_spec(unit_energy_g=1)
    rules = s.rules.in_force(spec.jurisdiction, s.clock().date())
    bps = rules.energy_per_removal_bps()
    standard = spec_standard(s.sinks.models, spec, STAND_AGE_Y, bps, rules.version)
    return replace(spec, unit_energy_g=standard.price_g)


def travel_and_collect(s: Seeder) -> None:
    """Four weeks of the travellers' trips, each day quantified by the pipeline and
    credited; each traveller collects every day, so none of it lapses. What each
    collected is summed from the collections' receipts (a rerun replays them)."""
    collected: dict[str, int] = {}
    events = credited_g = collections = lapsed_g = 0
    for n in range(TRAVEL_DAYS):
        day = SPONSOR_DAY + timedelta(days=n)
        if n:  # the first day is everyone's, credited already
            outcome = s.credit_energy(day, 601 + n, 14 + n % 7, s.travellers())
            events, credited_g = events + outcome.events, credited_g + outcome.credited_g
        as_of = datetime.fromtimestamp(synthetic_as_of_ms(day) / 1000, UTC)
        s.clock.now = as_of + timedelta(minutes=30)
        for pid in s.travellers():
            report = s.collect(pid, f"demo:collect:{pid}:{day}")
            if report is not None:
                collected[pid] = collected.get(pid, 0) + report.collected_g
                lapsed_g += report.lapsed_g
                collections += 1
    s.collected = collected
    s.result.travel = Travel(
        len(s.travellers()),
        TRAVEL_DAYS,
        events,
        credited_g,
        collections,
        sum(collected.values()),
        lapsed_g,
    )


def sponsor_trees(s: Seeder) -> None:
    """The travellers but the saver spend their collected energy on whole m²; the
    change stays collected (it does not expire).

    The m² come from what each collected in June, not from today's balance, so a rerun
    asks for the same m² under the same keys.
    """
    s.clock.now = datetime.combine(SPONSORING_DAY, datetime.min.time(), UTC) + HOURS_2
    price_g = int(s.sinks.project(PROJECT)["unit_energy_g"])
    for pid in s.travellers():
        units = s.collected.get(pid, 0) // price_g
        if units and pid != s.saver:
            done = s.sinks.sponsor(pid, f"demo:sponsor:{pid}", s.acct(pid), PROJECT, units)
            s.count(done.replayed)


def measured_removals_g(s: Seeder, period: Period) -> int:
    """What the owner measures on AFF0007 over ``period`` (in the crediting period's
    first year: the stand's age band is the one it was registered in): the model's
    expectation × ``MEASURED_PERCENT``."""
    project = s.sinks.project(PROJECT)
    expected_g = expected_removal_g(
        s.sinks.models,
        str(project["forest_type"]),
        int(project["area_m2"]),
        STAND_AGE_Y,
        period.days,
    )
    return expected_g * MEASURED_PERCENT // 100


def verify_removals(s: Seeder) -> None:
    """After the quarter: the owner files, an independent verifier verifies."""
    with s.store.reader() as uow:
        filed = sinks_store.reports_of(uow, PROJECT)
    if filed:
        s.result.replayed += 2  # the report and its verification
        s.result.report_id = int(filed[0]["report_id"])
        return
    s.clock.now = utc(2026, 10, 8, 2)
    measured_g = measured_removals_g(s, MONITORING)
    report = s.sinks.file_report(FOREST, "demo:sink:report", PROJECT, MONITORING, measured_g)
    s.clock.now = utc(2026, 10, 12, 2)
    s.sinks.verify(VERIFIER, "demo:sink:verify", int(report["report_id"]), approve=True)
    s.result.report_id = int(report["report_id"])
    s.result.written += 2


def issue_personal_credits(s: Seeder) -> None:
    s.clock.now = utc(2026, 10, 15, 2)
    issued = s.sinks.issue(REGULATOR, "demo:issue:pcer", s.result.report_id)
    s.count(issued.replayed)
    s.result.pcer = issued.batch
    s.result.sink_issuance = issued
    s.result.conversion = _conversion(s, issued)


def _conversion(s: Seeder, issued: Issuance) -> Conversion:
    project = s.sinks.project(PROJECT)
    units, units_total = int(project["units_sold"]), int(project["units_total"])
    # The sponsored units' share of the verified removals: the buffer insures it (and
    # only it), the sponsors get the rest; so it is exactly what was posted.
    verified_g = issued.buffer_g + issued.attributed_g
    return Conversion(
        units,
        units_total,
        units * int(project["unit_energy_g"]),
        int(project["unit_energy_g"]),
        units * int(project["unit_expected_g"]),
        verified_g,
        issued.buffer_g,
        issued.attributed_g,
        str(project["rule_set"]),
        str(project["model_version"]),
        (str(project["crediting_start"]), str(project["crediting_end"])),
    )


def issue_summer_inclusive(s: Seeder) -> None:
    """The summer's collected, unspent energy issued as PCER on the carbon-inclusive path."""
    issued = s.issue_inclusive(SUMMER, "demo:inclusive:summer", utc(2026, 10, 15, 3))
    s.count(issued.replayed)
    s.result.summer = issued
