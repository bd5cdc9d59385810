"""Jurisdiction rule sets as data (DESIGN §8, §11): versioned, dated, cited files.

Files live at ``pctrade/rules/data/<jurisdiction>/<effective-from>.toml`` (for example
``data/GD/2022-05-06.toml``) and are read through ``importlib.resources`` by
``book.shipped``, the only I/O here. The rule set in force for a jurisdiction on a day
is the one with the latest ``effective_from`` on or before that day; an earlier file
stays loadable by its version, so a past decision can always be explained by the rules
it cited.

    book = shipped()                        → the shipped ``RuleBook``
    book.in_force("GD", date(2026, 7, 1))   → RuleSet  (version "GD/2022-05-06")
    book.by_version("CN/2021-02-01")        → RuleSet
    book.rule_sets()                        → every rule set, by jurisdiction and date

Services are given their book by the composition root (``pctrade.bootstrap``); there
is no process-wide rule set to ask behind its back.

Errors: ``RuleSetError`` (code ``bad_rule_set``) for a malformed file;
``NotFound`` (code ``no_rule_set``) when nothing is in force or a version is unknown;
``Conflict`` (``path_not_admitted``, ``no_rule``) when a rule set does not admit or
does not say what a decision needs.
"""

from __future__ import annotations

from pctrade.rules.book import RuleBook, shipped
from pctrade.rules.checks import RuleSetError
from pctrade.rules.loader import load_text
from pctrade.rules.model import IssuancePath, RuleSet

__all__ = [
    "DEFAULT_JURISDICTION",
    "IssuancePath",
    "RuleBook",
    "RuleSet",
    "RuleSetError",
    "load_text",
    "shipped",
]

DEFAULT_JURISDICTION = "CN"
