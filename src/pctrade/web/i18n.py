"""Which language a request is answered in, and the catalogues that say it.

The locale is chosen by ``?lang=zh|en`` (remembered in the cookie ``lang``), then that
cookie, then the browser's Accept-Language, then Chinese. Messages are gettext
catalogues (``locale/<lang>/LC_MESSAGES/messages.po``, English source strings, Chinese
translations) compiled in memory when the web app is built, so there is no build step
and no compiled file in the repository. To add strings after editing templates::

    pybabel extract -F src/pctrade/web/babel.cfg -o /tmp/messages.pot src/pctrade/web
    pybabel update -i /tmp/messages.pot -d src/pctrade/web/locale

then translate the new ``msgstr`` entries of ``zh`` (``en`` may stay empty: the source
string is shown).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE_S = 365 * 24 * 3600
LOCALE_DIR = Path(__file__).parent / "locale"
# Accept-Language is read only this far: a header is the client's, so it is bounded.
ACCEPT_LANGUAGE_ITEMS_MAX = 20
# The Babel locale each of ours formats with (zh: Simplified Chinese as in mainland China).
BABEL_LOCALES: Mapping[str, str] = {"zh": "zh_Hans_CN", "en": "en_US"}


@dataclass(frozen=True, slots=True)
class Language:
    """A request's language: its code (``zh``/``en``), Babel locale and messages."""

    code: str
    babel_locale: str
    translations: Translations

    def gettext(self, message: str) -> str:
        return str(self.translations.ugettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(self.translations.ungettext(singular, plural, n))


def load_languages(locale_dir: Path = LOCALE_DIR) -> dict[str, Language]:
    """Every locale's catalogue, compiled from its .po in memory."""
    return {
        code: Language(code, BABEL_LOCALES[code], _compiled(locale_dir, code)) for code in LOCALES
    }


def _compiled(locale_dir: Path, code: str) -> Translations:
    po_path = locale_dir / code / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po:
        catalog = read_po(po, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def choose_locale(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The request's locale code (see the module for the order)."""
    for given in (query, cookie):
        if given in LOCALES:
            return given
    if accept_language:
        preferred = _accepted(accept_language)
        found = negotiate_locale(preferred, LOCALES, sep="-")
        if found is None:
            # "zh-CN" and "en-GB" are ours by their language alone.
            found = negotiate_locale([p.split("-")[0] for p in preferred], LOCALES, sep="-")
        if found in LOCALES:
            return found
    return DEFAULT_LOCALE


def _accepted(header: str) -> list[str]:
    """Accept-Language's tags, most preferred first (RFC 9110 §12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:ACCEPT_LANGUAGE_ITEMS_MAX]):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and weight > 0:
            weighted.append((-weight, index, tag.lower()))
    return [tag for _, _, tag in sorted(weighted)]


def N_(message: str) -> str:
    """Marks a message id for extraction where it is defined; it is translated where
    it is shown (gettext's convention, which pybabel extracts by default)."""
    return message


# The language of the template being rendered: the Jinja environment is shared by every
# request, so its gettext and filters read the language from here (set by templating).
current_language: ContextVar[Language] = ContextVar("current_language")
