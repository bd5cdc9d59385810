"""What the story leaves waiting for the regulator (待审): the winter quarter's removals.

The demo's summer quarter of forest AFF0007 was filed, verified and issued in October
2026 (``demo_sink_chain``). The next quarter, October to December 2026, is filed by the
owner in January 2027 and verified by the independent verifier in February — and the
regulator has not issued it when the story ends: the served demo's regulator console
shows it under the issuance approvals, with the form that issues its PCER to the
sponsors and the buffer (the same ``Sinks.issue`` the summer's went through). The
behaviour events the partners' June files held for review (implausible speeds) wait
beside it, undecided, on the console's review tab.

Both writes are logged under ``demo:…`` keys, so a second seeding replays them.
"""

from __future__ import annotations

from datetime import date

from pctrade.demo_seeder import FOREST, PROJECT, VERIFIER, Seeder, utc
from pctrade.demo_sink_chain import measured_removals_g
from pctrade.sinks.monitoring import Period

# The quarter after the summer's monitoring period (``demo_seeder.MONITORING``).
WINTER = Period(date(2026, 10, 1), date(2026, 12, 31))


def file_winter_removals(s: Seeder) -> None:
    """Filed by the owner, verified by the verifier; the issuance is left to the regulator."""
    s.clock.now = utc(2027, 1, 20, 2)
    measured_g = measured_removals_g(s, WINTER)
    filed = s.sinks.file_report(FOREST, "demo:sink:report:winter", PROJECT, WINTER, measured_g)
    s.count(filed.replayed)
    s.clock.now = utc(2027, 2, 10, 2)
    report_id = int(filed["report_id"])
    verified = s.sinks.verify(VERIFIER, "demo:sink:verify:winter", report_id, approve=True)
    s.count(verified.replayed)
    s.result.pending_report_id = report_id
