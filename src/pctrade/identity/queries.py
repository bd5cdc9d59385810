"""What other contexts may ask identity, inside their own unit of work.

The market decides eligibility (issue 13) from a party's real-name facts; it reads them
here, as identity's model types, never from identity's tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from pctrade.identity.model import Facts, RiskLevel, VerificationMethod
from pctrade.identity.sql import store as db
from pctrade.ledger.model import PartyId
from pctrade.ledger.ports import UnitOfWork


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value)[:10])


def facts_of(uow: UnitOfWork, party_id: PartyId) -> Facts | None:
    """The party's recorded facts as they are now; None if none were recorded."""
    row = db.facts(uow, party_id)
    if row is None:
        return None
    method, risk = row["real_name_method"], row["risk_level"]
    return Facts(
        real_name_verified=bool(row["real_name_verified"]),
        real_name_verified_on=_day(row["real_name_verified_on"]),
        real_name_method=None if method is None else VerificationMethod(method),
        risk_level=None if risk is None else RiskLevel(risk),
        risk_assessed_on=_day(row["risk_assessed_on"]),
        birth_date=_day(row["birth_date"]),
        credit_code=row["credit_code"],
        net_assets_fen=None if row["net_assets_fen"] is None else int(row["net_assets_fen"]),
    )


def onboarders_of(uow: UnitOfWork, party_ids: Iterable[PartyId]) -> dict[PartyId, PartyId]:
    """Who onboarded each of the parties (its onboarding agent), where one is recorded.

    The market's surveillance reads this to relate parties signed up by one platform
    (personal data stays here: only party ids leave)."""
    out: dict[PartyId, PartyId] = {}
    for party_id in sorted(set(party_ids)):
        row = db.facts(uow, party_id)
        if row is not None and row["onboarded_by"] is not None:
            out[party_id] = str(row["onboarded_by"])
    return out
