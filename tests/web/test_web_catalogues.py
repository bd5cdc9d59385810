"""The catalogues cover the pages: every message the code and templates use is in both
languages' catalogues, and Chinese translates each one."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import pctrade.web

WEB = Path(pctrade.web.__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _used() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), METHODS, options_map=OPTIONS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(code: str) -> dict[str, str]:
    with (WEB / "locale" / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def test_every_message_used_is_in_both_catalogues_and_translated_into_chinese() -> None:
    used = _used()
    assert "Transparency" in used and "Sign in" in used
    for code in ("zh", "en"):
        missing = used - set(_catalogue(code))
        assert not missing, f"{code}: run pybabel update (web/i18n.py): {sorted(missing)}"
    untranslated = sorted(m for m, s in _catalogue("zh").items() if m in used and not s)
    assert not untranslated, f"zh lacks: {untranslated}"
