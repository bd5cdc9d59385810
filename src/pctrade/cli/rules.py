"""``pctrade rules …``: the jurisdictions' rule sets, as shipped (read only).

The book and "today" are the composition root's defaults (``bootstrap``): the shipped
rule book and the system clock.

pctrade rules list [--jurisdiction GD]     every rule set: version, paths, digest
pctrade rules show VERSION                 one rule set's figures, sources, assumptions
pctrade rules in-force JURISDICTION        the rule set in force today (or --on DATE)
pctrade rules diff FROM TO                 what changed from one version to another
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from pctrade.bootstrap import default_clock, default_rules
from pctrade.cli.common import console, guarded
from pctrade.kernel.errors import ValidationError
from pctrade.rules import RuleSet
from pctrade.rules.diff import diff
from pctrade.rules.model import SECTIONS

app = typer.Typer(
    help="规则 Rule sets of each jurisdiction (versioned, cited).", no_args_is_help=True
)


@app.command("list")
def list_(
    jurisdiction: Annotated[str | None, typer.Option(help="Only this one, e.g. GD.")] = None,
) -> None:
    """Every shipped rule set (规则集), oldest first."""
    table = Table(title="规则集 Rule sets", title_justify="left")
    for column in ("version 版本", "name 名称", "paths 签发路径", "assumptions 假设", "digest"):
        table.add_column(column)
    for r in default_rules().rule_sets():
        if jurisdiction is None or r.jurisdiction == jurisdiction:
            paths = ", ".join(sorted(str(p) for p in r.issuance_paths)) or "—"
            table.add_row(r.version, r.name, paths, str(len(r.assumptions())), r.digest[:12])
    console.print(table)


def _value(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if hasattr(value, "items"):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "—" if value is None else str(value)


def _show(r: RuleSet) -> None:
    console.print(f"[bold]{r.version}[/bold] {r.name} ({r.iso_code}) · sha256 {r.digest}")
    paths = ", ".join(sorted(str(p) for p in r.issuance_paths)) or "—"
    console.print(f"签发路径 issuance paths: {paths}")
    table = Table(title="参数 Parameters (* = assumption 假设值)", title_justify="left")
    for column in ("section", "field", "value", "sources 来源"):
        table.add_column(column)
    for name in SECTIONS:
        section = getattr(r, name)
        if section is None:
            continue
        for f in fields(section):
            if f.name == "cited":
                continue
            mark = " *" if f.name in section.cited.assumed else ""
            value = _value(getattr(section, f.name))
            table.add_row(name, f.name + mark, value, ", ".join(section.cited.sources))
    console.print(table)
    for key, source in r.sources.items():
        flag = " (assumption 假设)" if source.assumption else ""
        console.print(f"  [{key}] {source.figure} — {source.publisher}{flag}")
    for note in r.notes:
        console.print(f"  note: {note}")


@app.command()
def show(version: Annotated[str, typer.Argument(help="e.g. GD/2022-05-06.")]) -> None:
    """One rule set: every figure, which are assumptions, and the sources cited."""
    with guarded():
        rule_set = default_rules().by_version(version)
    _show(rule_set)


@app.command("in-force")
def in_force_(
    jurisdiction: Annotated[str, typer.Argument(help="e.g. CN, GD.")],
    on: Annotated[str | None, typer.Option(help="A date, YYYY-MM-DD (default today).")] = None,
) -> None:
    """The rule set in force for a jurisdiction on a day (现行规则)."""
    with guarded():
        try:
            day = default_clock()().date() if on is None else date.fromisoformat(on)
        except ValueError as exc:
            raise ValidationError(f"not a date: {on!r}", code="bad_date") from exc
        rule_set = default_rules().in_force(jurisdiction, day)
    _show(rule_set)


@app.command("diff")
def diff_(
    before: Annotated[str, typer.Argument(help="The earlier version, e.g. GD/2022-05-06.")],
    after: Annotated[str, typer.Argument(help="The later version (or another jurisdiction's).")],
) -> None:
    """What changed from one rule set to another (规则变更): each figure, assumption and
    citation that differs, with its value on each side."""
    with guarded():
        a, b = default_rules().by_version(before), default_rules().by_version(after)
    changes = diff(a, b)
    console.print(
        f"[bold]{a.version}[/bold] ({a.digest[:12]}) → [bold]{b.version}[/bold] ({b.digest[:12]})"
    )
    if not changes:
        console.print("无变更 no changes: the two rule sets say the same")
        return
    table = Table(title=f"变更 Changes ({len(changes)})", title_justify="left")
    for column in ("section 部分", "field 字段", "before 原值", "after 新值"):
        table.add_column(column, overflow="fold")
    for change in changes:
        table.add_row(
            change.section or "(file)",
            change.field or "(whole section)",
            _diff_value(change.before),
            _diff_value(change.after),
        )
    console.print(table)


def _diff_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_diff_value(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k}={_diff_value(v)}" for k, v in value.items())
    return str(value)
