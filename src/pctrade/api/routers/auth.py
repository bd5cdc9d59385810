"""Logging in and out, and changing one's password.

``POST /auth/token`` exchanges a username and password for a bearer token; failed
attempts are throttled per account and per client address (429 with ``Retry-After``).
None of these takes an Idempotency-Key: logging in issues a fresh token each time,
logging out twice ends the same session, and a password change revokes the token it
was made with (it answers with a fresh one), so it cannot be sent twice.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from pctrade.api.auth import ClientDep, IdentityDep, SessionDep
from pctrade.api.deps import SettingsDep
from pctrade.api.identity_schemas import PasswordChange
from pctrade.api.problems import problem_responses
from pctrade.api.schemas import TokenCreate, TokenPublic
from pctrade.identity.service import IssuedToken

router = APIRouter(prefix="/auth", tags=["auth"])


def _token(issued: IssuedToken) -> TokenPublic:
    return TokenPublic(
        access_token=issued.token,
        expires_at=issued.expires_at,
        party_id=issued.party_id,
        username=issued.username,
    )


@router.post("/token", responses=problem_responses(401, 413, 422, 429))
def create_token(
    body: TokenCreate, identity: IdentityDep, settings: SettingsDep, client: ClientDep
) -> TokenPublic:
    """Log in: a bearer token for the login's party."""
    issued = identity.login(body.username, body.password, client=client, ttl_s=settings.token_ttl_s)
    return _token(issued)


@router.post("/logout", status_code=204, responses=problem_responses(401))
def logout(session: SessionDep, identity: IdentityDep, client: ClientDep) -> Response:
    """End this session: the bearer token it was called with stops working."""
    identity.logout(session, client=client)
    return Response(status_code=204)


@router.post("/password", responses=problem_responses(401, 403, 413, 422, 429))
def change_password(
    body: PasswordChange,
    session: SessionDep,
    identity: IdentityDep,
    settings: SettingsDep,
    client: ClientDep,
) -> TokenPublic:
    """Change the calling login's password (the current one required). Every token of
    the party is revoked, this one included; the answer is a fresh token."""
    issued = identity.change_password(
        session.username,
        body.old_password,
        body.new_password,
        client=client,
        ttl_s=settings.token_ttl_s,
    )
    return _token(issued)
