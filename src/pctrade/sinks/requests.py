"""What each sink write that records no entry binds its idempotency key to.

Registration, approval, closing, a monitoring report, its verification and a
reversal's plan move no holdings, so they write no journal entry; each is logged in
the ledger's request log under the caller's key (``Journal.execute_recorded``, the one
idempotency mechanism). The request built here is the fingerprint the key is bound
to: the same request again answers the original result, another one under the key is
``idempotency_key_reused``. Logged fingerprints outlive the code, so a request's name
and fields are never renamed (``sink_reversal`` was logged first, by migration 0007).
"""

from __future__ import annotations

from pctrade.ledger.write import Request
from pctrade.sinks.monitoring import Period
from pctrade.sinks.project import ProjectSpec


def register(spec: ProjectSpec, stand_age_y: int) -> Request:
    parcels = [[p.parcel_id, p.area_m2, p.years_not_forest, p.wetland] for p in spec.parcels]
    fields = {
        "project_code": spec.code,
        "name": spec.name,
        "project_type": str(spec.project_type),
        "jurisdiction": spec.jurisdiction,
        "forest_type": spec.forest_type,
        "parcels": parcels,
        "crediting_start": spec.crediting_start.isoformat(),
        "crediting_end": spec.crediting_end.isoformat(),
        "unit_energy_g": spec.unit_energy_g,
        "units_offered": spec.units_offered,
        "affiliates": list(spec.affiliates),
        "stand_age_y": stand_age_y,
    }
    if spec.unit is not None:  # declared (issue 11); undeclared requests keep their print
        unit = spec.unit
        fields["unit"] = [str(unit.kind), unit.units_total, unit.area_m2, unit.m2_per_unit]
    return Request("sink_register", fields)


def approve(code: str) -> Request:
    return Request("sink_approve", {"project_code": code})


def close(code: str) -> Request:
    return Request("sink_close", {"project_code": code})


def report(code: str, period: Period, removals_g: int) -> Request:
    fields = {
        "project_code": code,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "removals_g": removals_g,
    }
    return Request("sink_report", fields)


def decision(report_id: int, approve: bool, reason: str) -> Request:
    fields = {"report_id": report_id, "approve": approve, "reason": reason}
    return Request("sink_report_decision", fields)


def reversal(code: str, loss_g: int, cause: str) -> Request:
    return Request("sink_reversal", {"project_code": code, "loss_g": loss_g, "cause": cause})
