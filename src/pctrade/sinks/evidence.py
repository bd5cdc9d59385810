"""Sink evidence in the journal: what a hashed entry says about the sink rows beside it.

The sink tables (projects, parcels, sponsorships, reports, issuances, attribution
tables, reversals) are written in the same transaction as the registry entries they
explain, but they are not postings, so the hash chain alone would not notice an edit
made to them in SQL. So each entry that moves holdings for a sink carries, in its
payload under ``"evidence"``, the facts and digests of the rows written with it:

- a sponsorship's ``energy_spend``: the project, units and day, and the digest of the
  project's terms (everything fixed at registration and approval, and its parcels) that
  the units were bought under;
- an issuance's ``issue``: every figure of the issuance row (since issue 11 also the
  project's units and the grams issued to sponsors and left unissued), the digest of its
  attribution table (five int64 columns in account order, as the ledger digests its
  postings), and the digests of the verified report and of the project's terms;
- each ``cancel`` of a reversal: the reversal, its position in the plan and the plan.

The payload is covered by the entry's hash, so ``verify`` (``services.sink_audit``)
recomputes each digest from the stored rows and names the row that no longer matches.
Figures that change after the fact are derived instead and checked the same way: a
project's units sold are the sum of its sponsorships, its batch count the number of
its issuances, a report's ``issued_g`` the sum of the issuances it backed.

What no entry covers yet: a project before its first sponsorship, and a report before
it backs an issuance, move no holdings and have no entry; they are covered from the
first entry that relies on them.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pctrade.ledger.journal import canonical_json

# The columns of a project fixed at registration and approval (not status, units sold
# or batch count, which move), and of a report once it is verified (not issued_g).
PROJECT_TERMS = (
    "code",
    "name",
    "project_type",
    "jurisdiction",
    "forest_type",
    "owner",
    "affiliates",
    "area_m2",
    "stand_age_y",
    "crediting_start",
    "crediting_end",
    "unit_energy_g",
    "units_offered",
    "buffer_bps",
    "model_version",
    "registered_at",
    "approved_by",
    "approved_at",
)
# The sponsor unit (migration 0009): part of the terms of every project that declares it.
UNIT_TERMS = (
    "unit_kind",
    "units_total",
    "unit_area_m2",
    "m2_per_unit",
    "unit_expected_g",
    "energy_per_removal_bps",
)
PARCEL_COLUMNS = ("parcel_id", "area_m2", "years_not_forest", "wetland")
REPORT_COLUMNS = (
    "report_id",
    "project_code",
    "period_start",
    "period_end",
    "removals_g",
    "expected_g",
    "filed_by",
    "filed_at",
    "status",
    "verifier",
    "decided_at",
    "reason",
)
# The issuance row's own figures, carried in the entry as plain values.
ISSUANCE_FIGURES = (
    "report_id",
    "project_code",
    "batch",
    "removals_g",
    "buffer_bps",
    "buffer_g",
    "total_shares",
    "leftover_g",
    "sponsors",
    "shares_as_of",
)
# Per-unit attribution's figures (migration 0009), recorded by every issuance since.
UNIT_FIGURES = ("project_units", "sponsors_g", "unissued_g")
ATTRIBUTION_COLUMNS = ("account_id", "shares", "amount_g", "remainder", "rounded_up")

Row = Mapping[str, Any]


def _plain(value: Any) -> Any:
    """Drivers return bools as 0/1 (SQLite) or True/False: hash them one way."""
    return int(value) if isinstance(value, bool) else value


def _digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def project_terms_digest(project: Row, parcels: Iterable[Row]) -> str:
    """The digest of a project's fixed terms; a project registered before sponsor units
    were declared has none, and keeps the digest its entries recorded."""
    names = PROJECT_TERMS + (UNIT_TERMS if project.get("unit_kind") is not None else ())
    terms = {name: _plain(project[name]) for name in names}
    land = sorted([_plain(p[c]) for c in PARCEL_COLUMNS] for p in parcels)
    return _digest({"terms": terms, "parcels": land})


def report_digest(report: Row) -> str:
    return _digest({name: _plain(report[name]) for name in REPORT_COLUMNS})


def _le(column: Sequence[int] | array[int]) -> bytes:
    values = column if isinstance(column, array) else array("q", column)
    if sys.byteorder != "little":
        values = array("q", values)
        values.byteswap()
    return values.tobytes()


def attribution_digest(columns: Sequence[Sequence[int] | array[int]]) -> str:
    """SHA-256 over the attribution columns (``ATTRIBUTION_COLUMNS``), in account order."""
    if len(columns) != len(ATTRIBUTION_COLUMNS):
        raise ValueError("an attribution table has five columns")
    h = hashlib.sha256()
    for column in columns:
        h.update(len(column).to_bytes(8, "little"))
        h.update(_le(column))
    return h.hexdigest()


def sponsorship_evidence(code: str, units: int, day: str, terms: str) -> dict[str, Any]:
    return {"kind": "sink_sponsorship", "project": code, "units": units, "day": day, "terms": terms}


# The kind of an issuance's evidence: the registry issues PCER only under it (``context``).
SINK_ISSUANCE = "sink_issuance"


def issuance_evidence(figures: Row, attribution: str, report: str, terms: str) -> dict[str, Any]:
    body = {name: _plain(figures[name]) for name in ISSUANCE_FIGURES + UNIT_FIGURES}
    return {
        "kind": SINK_ISSUANCE,
        **body,
        "attribution": attribution,
        "report": report,
        "terms": terms,
    }


REVERSAL_SHARE = ("issued_loss_g", "credited_g", "credited_removals_g")


def reversal_evidence(reversal: Row, part: int) -> dict[str, Any]:
    """What a buffer cancellation records of its reversal (the share only since 0010)."""
    evidence: dict[str, Any] = {
        "kind": "sink_reversal",
        "reversal_id": int(reversal["reversal_id"]),
        "project": reversal["project_code"],
        "part": part,
        "loss_g": int(reversal["loss_g"]),
        "plan": reversal["plan"],
    }
    if reversal.get("issued_loss_g") is not None:
        evidence.update({name: int(reversal[name]) for name in REVERSAL_SHARE})
    return evidence


def differences(want: Row, got: Row, names: Iterable[str]) -> list[str]:
    """The names whose stored value differs from what the entry recorded, with both."""
    return [
        f"{name} {_plain(got.get(name))!r} (entry: {want.get(name)!r})"
        for name in names
        if _plain(got.get(name)) != want.get(name)
    ]
