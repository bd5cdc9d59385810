"""Every identity operation asked by every role, on SQLite and PostgreSQL.

For each operation the table below names the roles that may do it; every other role is
answered 403 ``forbidden`` and nothing is written (every row of every table as before).
The party acting for a role is ``identity_world.ACTOR_OF``'s: ``ind`` for individuals
(onboarded by ``plat``, the platform), ``ems`` for emitters (who hold an API key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from identity_world import ACTOR_OF, IND_FACTS_JSON, IdWorld, build_world

from identity_support import PASSWORD, bearer
from pctrade.bootstrap import App
from pctrade.identity.commands import CreateApiKey
from pctrade.ledger.model import Role

R = Role
OPERATOR = frozenset({R.REGISTRY_OPERATOR})
EVERYONE = frozenset(Role)
# (world, acting party, its role, what ``prepare`` made) → the response.
Call = Callable[[IdWorld, str, Role, Any], Any]


def _fresh_ems_key(w: IdWorld, role: Role) -> int:
    """A key of ems's own for this role to rotate or revoke, made beforehand."""
    issued = w.app.identity.create_api_key("registry", f"ems-{role}", CreateApiKey("ems"))
    return int(issued.key["key_id"])


def _onboard(kind: str) -> Call:
    def call(w: IdWorld, actor: str, role: Role, _: Any) -> Any:
        party = f"{kind[:3]}-{role}"
        body = {"party_id": party, "role": kind, "username": party, "password": PASSWORD}
        return w.post(actor, "/identity/onboardings", body)

    return call


@dataclass(frozen=True)
class Op:
    name: str
    allowed: frozenset[Role]
    call: Call
    prepare: Callable[[IdWorld, Role], Any] = lambda w, r: None


OPS = [
    Op(
        "create a login",
        OPERATOR,
        lambda w, a, r, _: w.post(
            a,
            "/identity/logins",
            {"username": f"new-{r}", "party_id": "inst", "password": PASSWORD},
        ),
    ),
    Op(
        "onboard an individual",
        frozenset({R.REGISTRY_OPERATOR, R.PLATFORM}),
        _onboard("individual"),
    ),
    Op(
        "onboard an institution",
        OPERATOR,
        _onboard("institution"),
    ),
    Op(
        "read a person's facts",
        frozenset({R.REGISTRY_OPERATOR, R.REGULATOR, R.PLATFORM, R.INDIVIDUAL}),
        lambda w, a, r, _: w.get(a, "/identity/parties/ind/facts"),
    ),
    Op(
        "record a person's facts",
        frozenset({R.REGISTRY_OPERATOR, R.PLATFORM}),
        lambda w, a, r, _: w.put(a, "/identity/parties/ind/facts", IND_FACTS_JSON),
    ),
    Op(
        "revoke an emitter's tokens",
        frozenset({R.REGISTRY_OPERATOR, R.EMITTER}),
        lambda w, a, r, _: w.post(a, "/identity/parties/ems/tokens/revoke"),
    ),
    Op(
        "create an emitter's API key",
        frozenset({R.REGISTRY_OPERATOR, R.EMITTER}),
        lambda w, a, r, _: w.post(a, "/identity/parties/ems/api-keys", {"label": str(r)}),
    ),
    Op(
        "list an emitter's API keys",
        frozenset({R.REGISTRY_OPERATOR, R.EMITTER}),
        lambda w, a, r, _: w.get(a, "/identity/parties/ems/api-keys"),
    ),
    Op(
        "rotate an emitter's API key",
        frozenset({R.REGISTRY_OPERATOR, R.EMITTER}),
        lambda w, a, r, key_id: w.post(a, f"/identity/parties/ems/api-keys/{key_id}/rotate"),
        _fresh_ems_key,
    ),
    Op(
        "revoke an emitter's API key",
        frozenset({R.REGISTRY_OPERATOR, R.EMITTER}),
        lambda w, a, r, key_id: w.post(a, f"/identity/parties/ems/api-keys/{key_id}/revoke"),
        _fresh_ems_key,
    ),
    Op(
        "read the audit log",
        OPERATOR,
        lambda w, a, r, _: w.get(a, "/identity/audit"),
    ),
    Op(
        "change one's own password",
        EVERYONE,
        lambda w, a, r, _: w.client.post(
            "/auth/password",
            json={"old_password": PASSWORD, "new_password": f"{PASSWORD} {r}"},
            headers=w.headers[a],
        ),
    ),
    Op(
        "log out",
        EVERYONE,
        lambda w, a, r, _: w.client.post("/auth/logout", headers=w.headers[a]),
    ),
]


@pytest.fixture
def w(client: TestClient, wired: App) -> IdWorld:
    return build_world(client, wired)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_each_role_may_do_only_what_the_identity_rules_allow(w: IdWorld, op: Op) -> None:
    wrong: list[str] = []
    for role in Role:
        actor = ACTOR_OF[role]
        w.headers[actor] = bearer(w.app, actor)  # an earlier role may have ended its session
        made = op.prepare(w, role)
        before = w.state()
        response = op.call(w, actor, role, made)
        allowed = role in op.allowed
        ok = response.status_code < 300 if allowed else response.status_code == 403
        if not allowed and ok:
            ok = response.json()["code"] == "forbidden" and w.state() == before
        if not ok:
            wrong.append(f"{role} ({actor}): {response.status_code} {response.text[:120]}")
    assert not wrong, f"{op.name}:\n" + "\n".join(wrong)
