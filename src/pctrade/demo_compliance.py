"""The demo's compliance year (履约): Nanyue Power's 2026 obligation in Guangdong.

After the two trading days of November 2026, the scenario clock walks into 2027 and
the year closes the way issue 15 describes it, through the real services:

1. on 4 January the regulator sets Guangdong's 2026 cap (``compliance_cap``, citing the
   rule set in force);
2. in spring the power company reports its 2026 emissions by source stream (coal burnt
   × its emission factor, in integers), the verification centre — not affiliated with
   it — verifies the figure, and the regulator confirms it: 8,200 t, the obligation;
3. on 10 June, before Guangdong's deadline of 20 June, it surrenders in ONE
   ``compliance_surrender`` entry the allowances it bought at the November auction
   (``CEA-GD-ALLOC-2026-001``), CCER it bought on the book (from outside Guangdong: at
   most 30 % of the offsets may be, 3 % of the emissions) and the personal credits it
   bought from the saver on Monday's book (``PCER-GD-CI-2026Q3-001``, 10 kg: Guangdong
   admits PCER) — 8,200 t in all, within the offset cap of 10 % of the emissions;
4. on 21 June, the deadline passed, the status is final (A: compliant) and the
   regulator's report and the cap-integrity report read it back from the journal.

Every write has a ``demo:compliance:…`` key: a second seeding replays the year and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pctrade.compliance import commands as cc
from pctrade.compliance.emissions import SourceStream
from pctrade.compliance.surrender_commands import SurrenderUnits
from pctrade.demo_seeder import CCER, EMITTER, REGULATOR, VERIFIER, Seeder, utc
from pctrade.kernel.units import G_PER_KG, G_PER_T, format_carbon

JURISDICTION = "GD"
PERIOD = "2026"
# Guangdong's 2026 cap: about its recent annual allocation (265 Mt), for the demo.
CAP_G = 265_000_000 * G_PER_T
# Coal burnt in 2026, in kg, × 2.5 kg CO2 per kg: 8,200 t.
COAL = SourceStream("燃煤 coal", 3_280_000, "kg", 2_500_000)
# What the power company holds for it: the allowances it bought at the November
# auction, CCER it bought on the book, and the PCER it bought from the saver.
AUCTIONED_CEA = "CEA-GD-ALLOC-2026-001"
CEA_G = 8_000 * G_PER_T
CCER_G = 200 * G_PER_T - 10 * G_PER_KG
PCER_G = 10 * G_PER_KG


def set_cap(s: Seeder) -> None:
    s.clock.now = utc(2027, 1, 4, 2)
    cmd = cc.SetCap(JURISDICTION, PERIOD, CAP_G)
    s.record(s.app.compliance.set_cap(REGULATOR, "demo:compliance:cap", cmd))


def verified_emissions(s: Seeder) -> None:
    """Reported by the emitter, verified by an unaffiliated verifier, confirmed."""
    service = s.app.compliance
    s.clock.now = utc(2027, 3, 31, 2)
    submit = cc.SubmitReport(JURISDICTION, PERIOD, s.acct(EMITTER), (COAL,))
    r = s.record(service.submit_report(EMITTER, "demo:compliance:report", submit))
    report_id = str(r.payload["report_id"])
    s.clock.now = utc(2027, 4, 20, 2)
    verified = cc.VerifyReport(report_id, 8_200 * G_PER_T)
    s.record(service.verify_report(VERIFIER, "demo:compliance:verify", verified))
    s.clock.now = utc(2027, 5, 10, 2)
    confirm = cc.ConfirmReport(report_id)
    s.record(service.confirm_report(REGULATOR, "demo:compliance:confirm", confirm))


def surrender(s: Seeder) -> None:
    """CEA, CCER and the personal credits it bought, in one entry, before 20 June."""
    summer = s.result.summer
    assert summer is not None  # the saver's PCER, bought on Monday's book
    s.clock.now = utc(2027, 6, 10, 2)
    units = {AUCTIONED_CEA: CEA_G, CCER: CCER_G, summer.batch: PCER_G}
    cmd = SurrenderUnits(s.acct(EMITTER), JURISDICTION, PERIOD, tuple(units), tuple(units.values()))
    s.record(s.app.surrenders.surrender(EMITTER, "demo:compliance:surrender", cmd))


# The story's last moment: 10:00 China time on Monday 21 June 2027, the first trading
# morning after the deadline. ``pctrade serve --demo`` stands here, so its pages show the
# story as it ended, with the market in session, rather than a wall clock's day before
# the story's compliance year.
STORY_ENDS: Final = utc(2027, 6, 21, 2)


def reports(s: Seeder) -> None:
    """After the deadline: the status, the regulator's report, the integrity report."""
    s.clock.now = STORY_ENDS
    reports = s.app.compliance_reports
    status = reports.status(s.acct(EMITTER), JURISDICTION, PERIOD)
    integrity = reports.integrity()
    s.result.compliance = {
        "status": status.as_json(),
        "report": reports.compliance_report(JURISDICTION, PERIOD),
        "integrity_problems": len(list(integrity.problems())),
        "reconciles": all(a.lhs_g == a.rhs_g for a in integrity.allowances.values()),
    }


def summary_lines(compliance: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """The compliance year in a few lines, for the demo's summary."""
    status = compliance["status"]
    verified = int(status["verified_emissions_g"] or 0)
    who = names.get(EMITTER, EMITTER).split(" ")[0]
    return [
        f"  履约 Compliance {status['jurisdiction']} {status['period']} "
        f"({status['rule_set']}, deadline {status['deadline']}): {who} verified "
        f"{format_carbon(verified)}; surrendered {format_carbon(int(status['allowances_g']))} "
        f"of allowances + {format_carbon(int(status['offsets_g']))} of offsets "
        f"(CCER and the PCER it bought) → status {status['status']}, "
        f"shortfall {format_carbon(int(status['shortfall_g']))}",
        "  总量核对 Cap integrity: "
        + ("reconciles to the gram" if compliance["reconciles"] else "DOES NOT reconcile")
        + f" ({compliance['integrity_problems']} problems)",
    ]
