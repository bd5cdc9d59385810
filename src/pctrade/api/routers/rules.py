"""Rule sets over HTTP: the shipped, versioned rules of each jurisdiction (read only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields, is_dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from pctrade.api import inclusive_schemas as s
from pctrade.api.deps import AppDep
from pctrade.api.paging import LIMIT_DEFAULT, CursorQuery, LimitQuery, after, cursor_of
from pctrade.api.problems import problem_responses
from pctrade.api.schemas import Day
from pctrade.kernel.limits import PAGE_SIZE_MAX
from pctrade.kernel.paging import fetch_size, page_of
from pctrade.rules import RuleSet
from pctrade.rules.diff import diff
from pctrade.rules.model import SECTIONS

router = APIRouter(tags=["rules"])
LIST = "rules"
JurisdictionPath = Annotated[str, Path(min_length=2, max_length=3, pattern="^[A-Z]{2,3}$")]


def _summary(r: RuleSet) -> dict[str, Any]:
    return {
        "version": r.version,
        "jurisdiction": r.jurisdiction,
        "iso_code": r.iso_code,
        "name": r.name,
        "effective_from": r.effective_from,
        "issuance_paths": sorted(str(p) for p in r.issuance_paths),
        "digest": r.digest,
    }


def _plain_value(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):  # e.g. [trading] lots: instrument → its lot and tick
        return {k: _plain_value(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


def _section(section: Any) -> dict[str, Any]:
    # Field by field: ``asdict`` cannot copy the read-only mappings a rule set holds.
    body = {f.name: _plain(getattr(section, f.name)) for f in fields(section)}
    cited = body.pop("cited")
    return {**body, "sources": list(cited.sources), "assumed": sorted(cited.assumed)}


def _public(r: RuleSet) -> s.RuleSetPublic:
    sections = {n: _section(getattr(r, n)) for n in SECTIONS if getattr(r, n) is not None}
    return s.RuleSetPublic(
        **_summary(r),
        sections=sections,
        sources={k: asdict(v) for k, v in r.sources.items()},
        assumptions=r.assumptions(),
        notes=list(r.notes),
    )


@router.get("/rules", responses=problem_responses(422))
def list_rule_sets(
    app: AppDep,
    jurisdiction: Annotated[str | None, Query(max_length=3)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = LIMIT_DEFAULT,
) -> s.RuleSetPagePublic:
    """The shipped rule sets (optionally of one jurisdiction), by version: jurisdiction,
    then effective date, a page at a time."""
    start = str(after(LIST, cursor, (str,), ("",))[0])
    rows = [
        r
        for r in app.rules.rule_sets()
        if (jurisdiction is None or r.jurisdiction == jurisdiction) and r.version > start
    ]
    page = page_of(rows[: fetch_size(limit, PAGE_SIZE_MAX)], limit, lambda r: (r.version,))
    return s.RuleSetPagePublic(
        items=[s.RuleSetSummary(**_summary(r)) for r in page.items],
        next_cursor=cursor_of(LIST, page),
    )


VersionQuery = Annotated[
    str, Query(min_length=13, max_length=14, pattern=r"^[A-Z]{2,3}/\d{4}-\d{2}-\d{2}$")
]


@router.get("/rules/diff", responses=problem_responses(404, 422))
def rule_set_diff(
    app: AppDep,
    before: Annotated[VersionQuery, Query(alias="from", description="e.g. CN/2021-02-01")],
    after: Annotated[VersionQuery, Query(alias="to", description="e.g. GD/2022-05-06")],
) -> s.RuleDiffPublic:
    """What changed from one rule set to another: each figure, assumption and citation
    that differs, with its value on each side (``rules.diff``)."""
    a, b = app.rules.by_version(before), app.rules.by_version(after)
    return s.RuleDiffPublic(
        before=s.RuleSetSummary(**_summary(a)),
        after=s.RuleSetSummary(**_summary(b)),
        changes=[s.RuleChange(**asdict(c)) for c in diff(a, b)],
    )


@router.get("/rules/{jurisdiction}/in-force", responses=problem_responses(404, 422))
def rule_set_in_force(
    app: AppDep, jurisdiction: JurisdictionPath, on: Annotated[Day | None, Query()] = None
) -> s.RuleSetPublic:
    """The rule set in force on a day (default today, UTC)."""
    return _public(app.rules.in_force(jurisdiction, on or app.clock().date()))


@router.get("/rules/{jurisdiction}/{effective_from}", responses=problem_responses(404, 422))
def rule_set(app: AppDep, jurisdiction: JurisdictionPath, effective_from: Day) -> s.RuleSetPublic:
    """One rule set by its version, ``{jurisdiction}/{effective_from}``."""
    return _public(app.rules.by_version(f"{jurisdiction}/{effective_from.isoformat()}"))
