"""Jurisdiction rule sets as data (DESIGN §8, §11): versioned, dated, cited files.

Files live at ``pctrade/rules/data/<jurisdiction>/<effective-from>.toml`` (for example
``data/GD/2022-05-06.toml``) and are read through ``importlib.resources``, the only
I/O here. The rule set in force for a jurisdiction on a day is the one with the latest
``effective_from`` on or before that day; an earlier file stays loadable by its
version, so a past decision can always be explained by the rules it cited.

    in_force("GD", date(2026, 7, 1))   → RuleSet  (version "GD/2022-05-06")
    by_version("CN/2021-02-01")        → RuleSet
    rule_sets()                        → every shipped rule set, by jurisdiction and date

Errors: ``RuleSetError`` (code ``bad_rule_set``) for a malformed file;
``NotFound`` (code ``no_rule_set``) when nothing is in force or a version is unknown;
``Conflict`` (``path_not_admitted``, ``no_rule``) when a rule set does not admit or
does not say what a decision needs.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources

from pctrade.kernel.errors import NotFound
from pctrade.rules.loader import RuleSetError, load_text
from pctrade.rules.model import IssuancePath, RuleSet

__all__ = [
    "IssuancePath",
    "RuleSet",
    "RuleSetError",
    "by_version",
    "in_force",
    "load_text",
    "rule_sets",
]

DEFAULT_JURISDICTION = "CN"


@cache
def rule_sets() -> tuple[RuleSet, ...]:
    """Every shipped rule set, ordered by jurisdiction then effective date."""
    root = resources.files("pctrade.rules") / "data"
    found = []
    for folder in sorted(root.iterdir(), key=lambda entry: entry.name):
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".toml"):
                continue
            where = f"rules/data/{folder.name}/{entry.name}"
            rule_set = load_text(entry.read_text(encoding="utf-8"), where)
            if rule_set.version != f"{folder.name}/{entry.name[:-5]}":
                raise RuleSetError(
                    f"{where}: says {rule_set.version}; the path must be "
                    "<jurisdiction>/<effective_from>.toml"
                )
            found.append(rule_set)
    return tuple(found)


def in_force(jurisdiction: str, on: date) -> RuleSet:
    """The rule set of ``jurisdiction`` in force on ``on``."""
    candidates = [
        r for r in rule_sets() if r.jurisdiction == jurisdiction and r.effective_from <= on
    ]
    if not candidates:
        raise NotFound(
            f"no rule set of {jurisdiction!r} is in force on {on.isoformat()}",
            code="no_rule_set",
        )
    return max(candidates, key=lambda r: r.effective_from)


def by_version(version: str) -> RuleSet:
    for rule_set in rule_sets():
        if rule_set.version == version:
            return rule_set
    raise NotFound(f"no rule set {version!r}", code="no_rule_set")
