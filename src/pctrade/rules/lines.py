"""Where in a rule-set file a loader error points: the line of the key it names.

``tomllib`` gives positions only for syntax errors, and a value's type or range is
judged after parsing, so the loader's messages name a key path instead
(``[trading].price_step_fen_per_t``, ``sources.mee.figure``, a top-level ``name``, or
``[fees]: unknown key 'x'``). This module finds that key's line in the text, so that an
editor of the file is sent to it: the key's own line, else its table's header (a key
that is missing), else nothing.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[([A-Za-z0-9_.\-]+)\]\s*(?:#.*)?$")
_SECTION_KEY = re.compile(r"^\[([a-z_]+)\](?:[. ]([A-Za-z0-9_]+))?")
_SOURCE_KEY = re.compile(r"^sources\.([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?")
_UNKNOWN = re.compile(r"unknown key '([^']+)'")
_TOP_KEY = re.compile(r"^([a-z_]+)\b")


def line_of(text: str, detail: str) -> int | None:
    """The 1-based line of the key an error's ``detail`` (its message after the file's
    name) is about, or None when it names nothing found in ``text``."""
    table, key = _target(detail)
    lines = text.splitlines()
    current = ""  # the table of each line; "" before the first header
    header_line = None
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            current = header.group(1)
            if current == table:
                header_line = number
            continue
        if current == table and key and re.match(rf"^\s*{re.escape(key)}\s*[.=]", line):
            return number
    return header_line


def _target(detail: str) -> tuple[str, str | None]:
    """(table, key) that ``detail`` names: "" is the top level, a None key the table."""
    unknown = _UNKNOWN.search(detail)
    found = _SECTION_KEY.match(detail)
    if found:
        return found.group(1), unknown.group(1) if unknown else found.group(2)
    found = _SOURCE_KEY.match(detail)
    if found:
        table = f"sources.{found.group(1)}"
        return table, unknown.group(1) if unknown else found.group(2)
    if unknown:
        return "", unknown.group(1)
    top = _TOP_KEY.match(detail)
    return "", top.group(1) if top else None
