"""The web application: ``create_web(app)``, mounted at ``/web`` by the API's app.

A FastAPI app of its own (no OpenAPI schema: its pages are for people) over the same
bootstrap App as the API, so its pages call the same services. It

- chooses each request's language (``i18n``), hands a first-time visitor the
  anonymous CSRF cookie (``forms``) and sets the security headers (a Content Security
  Policy that runs no inline script: a page's own code goes in ``static/``), in one
  middleware;
- includes every page module of ``pages.PAGE_ROUTERS``, the vendor files and
  ``/static`` (our CSS and script);
- answers a domain error with a page that shows its code and message, with the status
  the API would give (``api.problems.status_of``), and a page that needs sign-in with a
  redirect to ``/login?next=…``.

The CSRF secret is random per app unless given (a server with several workers gives
each the same one, ``ApiSettings.web_secret``).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from pctrade.api.problems import status_of
from pctrade.bootstrap import App
from pctrade.identity.model import TOKEN_TTL_S
from pctrade.kernel.errors import PctradeError
from pctrade.web import forms, i18n, templating, vendor
from pctrade.web.pages import PAGE_ROUTERS
from pctrade.web.session import SESSION_COOKIE, SignInRequired

STATIC_DIR = Path(__file__).parent / "static"
SECRET_BYTES = 32
# Every page's answer says what the browser may load and run: scripts only from this
# site's files (ECharts, axe and ours; no inline script, so an injected one does not
# run), styles from here plus the inline ones ECharts' SVG carries, no framing, and
# forms that post only back here.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def create_web(
    wired: App, *, secret: bytes | None = None, token_ttl_s: int = TOKEN_TTL_S
) -> FastAPI:
    """The web pages over ``wired`` (see the module); ``token_ttl_s``: how long a
    sign-in lasts (the API's token lifetime)."""
    web = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    web.state.app = wired
    web.state.secret = secret or secrets.token_bytes(SECRET_BYTES)
    web.state.token_ttl_s = token_ttl_s
    web.state.languages = i18n.load_languages()
    web.state.templates = templating.build_environment()
    web.middleware("http")(_language_and_anonymous_cookie)
    web.add_exception_handler(SignInRequired, _sign_in)  # type: ignore[arg-type]
    web.add_exception_handler(PctradeError, _domain_error)  # type: ignore[arg-type]
    web.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    for module in PAGE_ROUTERS:
        web.include_router(module.router)
    web.include_router(vendor.router)
    web.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return web


async def _language_and_anonymous_cookie(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    chosen = request.query_params.get("lang")
    code = i18n.choose_locale(
        chosen, request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language")
    )
    request.state.language = request.app.state.languages[code]
    anonymous = request.cookies.get(forms.ANONYMOUS_COOKIE)
    minted = None
    if not anonymous and not request.cookies.get(SESSION_COOKIE):
        minted = anonymous = forms.new_anonymous_id()
    request.state.anonymous = anonymous or ""
    response = await call_next(request)
    if chosen in i18n.LOCALES and chosen != request.cookies.get(i18n.LANG_COOKIE):
        response.set_cookie(
            i18n.LANG_COOKIE, code, max_age=i18n.LANG_COOKIE_MAX_AGE_S, path="/", samesite="lax"
        )
    if minted is not None:
        response.set_cookie(forms.ANONYMOUS_COOKIE, minted, path="/", httponly=True, samesite="lax")
    response.headers.setdefault("Content-Language", code)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _sign_in(request: Request, exc: SignInRequired) -> Response:
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/login?next={quote(exc.next_path)}", status_code=303)


def _domain_error(request: Request, exc: PctradeError) -> Response:
    return error_page(request, exc.code, exc.message, status_of(exc))


def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    code = "not_found" if exc.status_code == 404 else "http_error"
    return error_page(request, code, str(exc.detail), exc.status_code)


def error_page(request: Request, code: str, message: str, status: int) -> Response:
    """A page that says what went wrong: the stable code, and the message in the
    request's language when the catalogue has it."""
    language = templating.language_of(request)
    return templating.render(
        request,
        "error.html",
        {"code": code, "message": language.gettext(message), "status": status},
        status=status,
    )
