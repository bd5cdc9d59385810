"""Identity and access: logins, onboarding, real-name facts, tokens, API keys, audit.

Who may do what is the identity context's rule (``identity.model``): the registry
operator creates logins for any party and reads the audit log; a platform onboards its
individuals and records their facts; every party manages its own keys and tokens.
Writes that take an ``Idempotency-Key`` answer a replay with ``Idempotent-Replayed``;
an API key's secret is in the answer that made it only, never in a replay or a list.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from pctrade.api import identity_schemas as s
from pctrade.api import lookups, views
from pctrade.api.auth import IdentityDep
from pctrade.api.deps import REPLAYED_HEADER, ActorDep, IdempotencyKeyDep, StoreDep, mark_replay
from pctrade.api.problems import problem_responses
from pctrade.identity import commands as ic
from pctrade.identity.model import API_KEYS_PER_PARTY_MAX, AUDIT_PAGE_MAX
from pctrade.identity.service import IssuedKey
from pctrade.kernel.limits import INT32_MAX, INT64_MAX, PARTY_ID_LEN_MAX
from pctrade.ledger.model import Role

router = APIRouter(prefix="/identity", tags=["identity"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 422)
READ_ERRORS = problem_responses(401, 403, 404, 422)

PARTY_PATTERN = r"^[A-Za-z0-9_.:@-]+$"
PartyPath = Annotated[str, Path(min_length=1, max_length=PARTY_ID_LEN_MAX, pattern=PARTY_PATTERN)]
KeyIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="the key's id")]
After = Annotated[int, Query(ge=0, le=INT64_MAX, description="the last id of the page before")]


def _replayed(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"


@router.post("/logins", status_code=201, responses=WRITE_ERRORS)
def create_login(
    body: s.LoginCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    identity: IdentityDep,
    response: Response,
) -> s.LoginPublic:
    """Give a party a login (registry operator); its holder changes the password."""
    cmd = ic.CreateLogin(body.username, body.party_id, body.password)
    result = identity.create_login(actor.party_id, key, cmd)
    _replayed(response, bool(result["replayed"]))
    return s.LoginPublic(username=str(result["username"]), party_id=str(result["party_id"]))


@router.post("/onboardings", status_code=201, responses=WRITE_ERRORS)
def onboard(
    body: s.OnboardingCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    identity: IdentityDep,
    store: StoreDep,
    response: Response,
) -> s.OnboardingPublic:
    """Sign a person (a platform, or the registry operator) or an institution (the
    registry operator) up: party and account, login and real-name facts, one entry."""
    cmd = ic.Onboard(
        body.party_id,
        Role(body.role),
        body.name,
        body.username,
        body.password,
        body.facts.facts(),
        body.label,
    )
    receipt = identity.onboard(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    account_id = receipt.payload.get("account")
    opened = None
    if isinstance(account_id, int):
        opened = views.account(lookups.account(store, account_id)[0])
    return s.OnboardingPublic(
        entry=views.entry(receipt.entry), account=opened, username=body.username
    )


@router.get("/parties/{party_id}/facts", responses=READ_ERRORS)
def read_facts(party_id: PartyPath, actor: ActorDep, identity: IdentityDep) -> s.FactsPublic:
    """A party's real-name facts: for the person, their onboarding platform and the
    authorities only (personal data)."""
    return s.FactsPublic(**identity.facts(actor.party_id, party_id))


@router.put("/parties/{party_id}/facts", responses=WRITE_ERRORS)
def record_facts(
    party_id: PartyPath,
    body: s.FactsIn,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    identity: IdentityDep,
    response: Response,
) -> s.FactsPublic:
    """Record a party's facts as they are now (its onboarding platform, or the registry
    operator); they replace the facts recorded before."""
    result = identity.record_facts(actor.party_id, key, ic.RecordFacts(party_id, body.facts()))
    _replayed(response, bool(result["replayed"]))
    return s.FactsPublic(**identity.facts(actor.party_id, party_id))


@router.post("/parties/{party_id}/tokens/revoke", responses=READ_ERRORS)
def revoke_tokens(
    party_id: PartyPath, actor: ActorDep, identity: IdentityDep
) -> s.TokensRevokedPublic:
    """Revoke every bearer token of the party (itself, or the registry operator). Doing it
    twice is harmless, so it takes no Idempotency-Key."""
    revoked = identity.revoke_tokens(actor.party_id, party_id)
    return s.TokensRevokedPublic(party_id=party_id, revoked=revoked)


def _issued(issued: IssuedKey, response: Response) -> s.ApiKeyIssuedPublic:
    _replayed(response, issued.replayed)
    return s.ApiKeyIssuedPublic(key=s.ApiKeyPublic(**issued.key), secret=issued.secret)


@router.post("/parties/{party_id}/api-keys", status_code=201, responses=WRITE_ERRORS)
def create_api_key(
    party_id: PartyPath,
    body: s.ApiKeyCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    identity: IdentityDep,
    response: Response,
) -> s.ApiKeyIssuedPublic:
    """A new API key for a partner (itself, or the registry operator for it); the secret
    is in this answer only."""
    issued = identity.create_api_key(actor.party_id, key, ic.CreateApiKey(party_id, body.label))
    return _issued(issued, response)


@router.get("/parties/{party_id}/api-keys", responses=READ_ERRORS)
def list_api_keys(
    party_id: PartyPath,
    actor: ActorDep,
    identity: IdentityDep,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=API_KEYS_PER_PARTY_MAX)] = API_KEYS_PER_PARTY_MAX,
) -> s.ApiKeysPage:
    """A party's API keys, oldest first, revoked ones too: never a secret."""
    rows = identity.api_keys(actor.party_id, party_id, after, limit)
    next_after = rows[-1]["key_id"] if len(rows) == limit else None
    return s.ApiKeysPage(keys=[s.ApiKeyPublic(**r) for r in rows], next_after=next_after)


@router.post("/parties/{party_id}/api-keys/{key_id}/rotate", responses=WRITE_ERRORS)
def rotate_api_key(
    party_id: PartyPath,
    key_id: KeyIdPath,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    identity: IdentityDep,
    response: Response,
) -> s.ApiKeyIssuedPublic:
    """A new secret for the key, in this answer only; the old secret stops working now."""
    issued = identity.rotate_api_key(actor.party_id, key, ic.RotateApiKey(party_id, key_id))
    return _issued(issued, response)


@router.post("/parties/{party_id}/api-keys/{key_id}/revoke", responses=WRITE_ERRORS)
def revoke_api_key(
    party_id: PartyPath,
    key_id: KeyIdPath,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    identity: IdentityDep,
    response: Response,
) -> s.ApiKeyPublic:
    """The key stops working for good; it stays listed, as revoked."""
    issued = identity.revoke_api_key(actor.party_id, key, ic.RevokeApiKey(party_id, key_id))
    _replayed(response, issued.replayed)
    return s.ApiKeyPublic(**issued.key)


@router.get("/audit", responses=problem_responses(401, 403, 422))
def audit(
    actor: ActorDep,
    identity: IdentityDep,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=AUDIT_PAGE_MAX)] = 100,
    party: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=PARTY_ID_LEN_MAX,
            pattern=PARTY_PATTERN,
            description="one party's",
        ),
    ] = None,
) -> s.AuditPage:
    """The identity audit log (registry operator): logins, failed logins, logouts,
    revocations, password changes, logins and keys created, onboardings, facts."""
    rows: list[dict[str, Any]] = identity.audit(actor.party_id, after, limit, party)
    next_after = rows[-1]["event_id"] if len(rows) == limit else None
    return s.AuditPage(events=[s.IdentityEventPublic(**r) for r in rows], next_after=next_after)
