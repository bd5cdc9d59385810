"""Signing in and out (``/web/login``, ``/web/logout``).

The form posts to ``Identity.login``, exactly as ``POST /auth/token`` does (the same
throttle, audit log and token lifetime); a wrong password or a throttled attempt shows
the form again with the reason. After signing in the browser goes where it was sent
from (``next``, a path of this site only) or to its role's home page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pctrade.kernel.errors import AuthenticationError, Throttled
from pctrade.ledger.model import Role
from pctrade.web.forms import FormDep
from pctrade.web.pages.outcome import Refusal, refuse
from pctrade.web.session import end_session, start_session
from pctrade.web.templating import render

router = APIRouter()

# Where each role starts; others start on the public page.
HOME_OF_ROLE = {
    Role.INDIVIDUAL: "/wallet",
    Role.PLATFORM: "/platform",
    Role.EMITTER: "/desk",
    Role.REGULATOR: "/regulator",
}
NEXT_LEN_MAX = 512


def safe_next(root: str, next_path: str | None) -> str | None:
    """``next`` if it is a path on this web app (never another site: no ``//``, no
    scheme, no backslash, which some browsers read as a slash)."""
    if not next_path or len(next_path) > NEXT_LEN_MAX:
        return None
    if not next_path.startswith(root + "/") or next_path.startswith("//") or "\\" in next_path:
        return None
    return next_path


def _login_page(
    request: Request, *, context: dict[str, str], refused: Refusal, status: int
) -> HTMLResponse:
    """The sign-in form again, with why the login was refused."""
    return render(request, "auth/login.html", {**context, "refused": refused}, status=status)


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    return render(request, "auth/login.html", {"next": next or "", "refused": None})


@router.post("/login", include_in_schema=False)
def login(request: Request, fields: FormDep) -> Response:
    app = request.app.state.app
    settings_ttl_s = app_token_ttl_s(request)
    username = fields.get("username", "").strip()
    client = request.client.host if request.client is not None else ""
    try:
        issued = app.identity.login(
            username, fields.get("password", ""), client=client, ttl_s=settings_ttl_s
        )
    except (AuthenticationError, Throttled) as exc:
        context = {"next": fields.get("next", ""), "username": username}
        refused = refuse(request, _login_page, exc, context=context)
        if isinstance(exc, Throttled):
            refused.headers["Retry-After"] = str(exc.retry_after_s)
        return refused
    root = request.scope.get("root_path", "")
    with app.store.reader() as uow:
        party = uow.party(issued.party_id)
    home = HOME_OF_ROLE.get(party.role, "/") if party is not None else "/"
    target = safe_next(root, fields.get("next")) or root + home
    response = RedirectResponse(target, status_code=303)
    start_session(request, response, issued, settings_ttl_s)
    return response


def app_token_ttl_s(request: Request) -> int:
    """The token lifetime the API gives its logins (its settings), when mounted."""
    ttl_s: int = request.app.state.token_ttl_s
    return ttl_s


@router.post("/logout", include_in_schema=False)
def logout(request: Request, fields: FormDep) -> Response:
    root = request.scope.get("root_path", "")
    response = RedirectResponse(root + "/", status_code=303)
    end_session(request, response)
    return response
