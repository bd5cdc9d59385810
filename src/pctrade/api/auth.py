"""Identity over HTTP, the thin part: the bearer session and the client's address.

Everything else — passwords (argon2id), tokens, API keys, throttling, the audit log —
is the identity context's (``pctrade.identity``); the routes hand it what arrived.
``SessionDep`` is the login behind a bearer token (for logging out and changing a
password, which an API key cannot do); ``ClientDep`` is the address the request came
from, which login attempts are throttled by and which the audit log records. Behind a
reverse proxy, run uvicorn with ``--proxy-headers`` so that this is the client's
address and not the proxy's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pctrade.api.deps import AppDep
from pctrade.identity.service import Identity, Session
from pctrade.kernel.errors import AuthenticationError

_bearer = HTTPBearer(auto_error=False, description="token from POST /auth/token")


def _identity(app: AppDep) -> Identity:
    return app.identity


IdentityDep = Annotated[Identity, Depends(_identity)]


def _session(
    identity: IdentityDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Session:
    if bearer is None:
        raise AuthenticationError(
            "send Authorization: Bearer <token> (a login's, not an API key)",
            code="unauthenticated",
        )
    return identity.session(bearer.credentials)


SessionDep = Annotated[Session, Depends(_session)]


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else ""


ClientDep = Annotated[str, Depends(_client)]
