"""POST /auth/token: exchange a username and password for a bearer token.

Logging in is not a registry write (nothing is journaled), so it takes no
Idempotency-Key: each call issues a fresh token.
"""

from __future__ import annotations

from fastapi import APIRouter

from pctrade.api import auth
from pctrade.api.deps import AppDep, SettingsDep, StoreDep
from pctrade.api.problems import problem_responses
from pctrade.api.schemas import TokenCreate, TokenPublic

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", responses=problem_responses(401, 422))
def create_token(
    body: TokenCreate, store: StoreDep, app: AppDep, settings: SettingsDep
) -> TokenPublic:
    issued = auth.login(
        store, body.username, body.password, now=app.clock(), ttl_s=settings.token_ttl_s
    )
    return TokenPublic(
        access_token=issued.token, expires_at=issued.expires_at, party_id=issued.party_id
    )
