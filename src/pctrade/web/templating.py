"""Rendering a template in the request's language.

One Jinja environment serves every request: autoescaping on, the ``i18n`` extension
(``_()``, ``gettext``, ``ngettext``, ``{% trans %}``, new-style: ``_("%(n)s t", n=…)``)
and the formatting filters. Its gettext and filters read the language of the render in
progress from ``i18n.current_language``, which ``render`` sets around the render, so two
requests in two languages on two threads never see each other's.

Every template gets ``lang`` (its code), ``root`` (the web app's path prefix, ``/web``
when mounted), ``user`` (the signed-in ``WebUser`` or None), ``form`` (a fresh CSRF token
and idempotency key for its forms), ``path`` (this page's path, for ``?next=``) and
``nav`` (the links the user's role sees).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pctrade.web import charts, formatting, forms, nav, session
from pctrade.web.i18n import Language, current_language

TEMPLATE_DIR = Path(__file__).parent / "templates"
Filter = Callable[..., str]


def _gettext(message: str) -> str:
    return current_language.get().gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return current_language.get().ngettext(singular, plural, n)


def _with_language(format_one: Callable[[Any, Language], str]) -> Filter:
    def apply(value: Any) -> str:
        return format_one(value, current_language.get())

    return apply


FILTERS: Mapping[str, Callable[[Any, Language], str]] = {
    "grams": formatting.grams,
    "yuan": formatting.yuan,
    "price_per_t": formatting.price_per_t,
    "date": formatting.day,
    "datetime": formatting.instant,
    "number": formatting.number,
    "bps": formatting.bps,
}


def build_environment(template_dir: Path = TEMPLATE_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(template_dir),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update({name: _with_language(f) for name, f in FILTERS.items()})
    env.globals["chart"] = charts.chart
    return env


def language_of(request: Request) -> Language:
    """The request's language (chosen by the web app's middleware)."""
    language: Language = request.state.language
    return language


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """``template`` rendered in the request's language, as an HTML response."""
    language = language_of(request)
    env: Environment = request.app.state.templates
    user = session.optional_user(request)
    values = {
        "lang": language.code,
        "root": request.scope.get("root_path", ""),
        "path": request.url.path,
        "user": user,
        "nav": nav.links_for(user),
        "form": forms.form_context(request),
        **(context or {}),
    }
    token = current_language.set(language)
    try:
        html = env.get_template(template).render(values)
    finally:
        current_language.reset(token)
    return HTMLResponse(html, status_code=status)
