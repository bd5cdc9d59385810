"""Signing in to the web pages: the identity context's login, kept in a cookie.

The sign-in form hands the username and password to ``Identity.login`` — the service
``POST /auth/token`` calls, with its throttle and audit log — and the bearer token it
issues goes into the cookie ``pctrade_session``: HttpOnly (no script reads it),
SameSite=Lax (no other site's form posts with it), Secure over HTTPS. Each request
resolves the cookie through ``Identity.session`` again, so signing out (or an expired
token, or a password change elsewhere) takes effect at once.

Pages declare who may see them with the dependencies ``UserDep`` (anyone signed in) or
``require_role(Role.…)``; a visitor who is not signed in is sent to ``/web/login?next=…``
(``SignInRequired``, handled by the web app).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from pctrade.identity.service import IssuedToken, Session
from pctrade.kernel.errors import AuthenticationError, Forbidden
from pctrade.ledger.model import PartyId, Role

SESSION_COOKIE = "pctrade_session"
_UNRESOLVED = object()


@dataclass(frozen=True, slots=True)
class WebUser:
    """Who is signed in: their party, its role and name, and the identity session."""

    party_id: PartyId
    role: Role
    display_name: str
    session: Session

    @property
    def username(self) -> str:
        return self.session.username


class SignInRequired(Exception):
    """The page needs a signed-in user; the web app redirects to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def optional_user(request: Request) -> WebUser | None:
    """The signed-in user, or None (no cookie, or a token no longer valid). Resolved
    once per request."""
    cached = getattr(request.state, "web_user", _UNRESOLVED)
    if cached is None or isinstance(cached, WebUser):
        return cached
    user = _resolve(request)
    request.state.web_user = user
    return user


def _resolve(request: Request) -> WebUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    app = request.app.state.app
    try:
        session = app.identity.session(token)
    except AuthenticationError:
        return None
    with app.store.reader() as uow:
        party = uow.party(session.party_id)
    if party is None:
        return None
    return WebUser(party.party_id, party.role, party.name, session)


def current_user(request: Request) -> WebUser:
    """The signed-in user; a visitor is sent to sign in and come back here."""
    user = optional_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return user


UserDep = Annotated[WebUser, Depends(current_user)]
OptionalUserDep = Annotated[WebUser | None, Depends(optional_user)]


def require_role(*roles: Role) -> Callable[[Request], WebUser]:
    """A dependency: the signed-in user, if their party has one of ``roles`` (else 403)."""

    def checked(request: Request) -> WebUser:
        user = current_user(request)
        if user.role not in roles:
            raise Forbidden(
                f"this page is for {', '.join(sorted(roles))}, not {user.role}", code="forbidden"
            )
        return user

    return checked


def start_session(
    request: Request, response: Response, issued: IssuedToken, max_age_s: int
) -> None:
    """Put a fresh login's token in the session cookie."""
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=max_age_s,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def end_session(request: Request, response: Response) -> None:
    """End the identity session behind the cookie (if still valid), and drop the cookie."""
    user = optional_user(request)
    if user is not None:
        client = request.client.host if request.client is not None else ""
        request.app.state.app.identity.logout(user.session, client=client)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
