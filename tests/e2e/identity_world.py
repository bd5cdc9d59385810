"""The identity tests' world: one party of every role, each with a login, over HTTP.

``ind`` is an individual onboarded by the platform ``plat`` (so ``plat`` is their
onboarding agent); ``ind2`` is an individual the registry opened, ``plat2`` a platform
that onboarded nobody. ``ems`` (an emitter) has an API key made by the registry operator.
``ACTOR_OF`` names the party that acts for each role in the role-by-operation tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from identity_support import PASSWORD, bearer, create_logins
from pctrade.bootstrap import App
from pctrade.bootstrap.tables import all_tables
from pctrade.identity.commands import CreateApiKey, Onboard
from pctrade.identity.model import Facts, RiskLevel, VerificationMethod
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role

CAST = {
    "mee": Role.REGULATOR,
    "plat": Role.PLATFORM,
    "plat2": Role.PLATFORM,
    "ems": Role.EMITTER,
    "inst": Role.INSTITUTION,
    "own": Role.PROJECT_OWNER,
    "cqc": Role.VERIFIER,
    "ind2": Role.INDIVIDUAL,
}
ACTOR_OF = {
    Role.REGISTRY_OPERATOR: "registry",
    Role.REGULATOR: "mee",
    Role.PLATFORM: "plat",
    Role.EMITTER: "ems",
    Role.INSTITUTION: "inst",
    Role.PROJECT_OWNER: "own",
    Role.VERIFIER: "cqc",
    Role.INDIVIDUAL: "ind",
}
IND_FACTS = Facts(
    real_name_verified=True,
    real_name_verified_on=date(2026, 6, 1),
    real_name_method=VerificationMethod.CTID,
    risk_level=RiskLevel.C3,
    risk_assessed_on=date(2026, 6, 2),
    birth_date=date(1990, 5, 17),
)
IND_FACTS_JSON = {
    "real_name_verified": True,
    "real_name_verified_on": "2026-06-01",
    "real_name_method": "ctid",
    "risk_level": "C3",
    "risk_assessed_on": "2026-06-02",
    "birth_date": "1990-05-17",
}


@dataclass
class IdWorld:
    client: TestClient
    app: App
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ems_key_id: int = 0
    ems_secret: str = ""
    keys: int = 0

    def _key(self, key: str | None) -> str:
        if key is None:
            self.keys += 1
            key = f"id-{self.keys}"
        return key

    def post(self, who: str, path: str, body: Any = None, key: str | None = None) -> Any:
        headers = {**self.headers[who], "Idempotency-Key": self._key(key)}
        return self.client.post(path, json=body if body is not None else {}, headers=headers)

    def put(self, who: str, path: str, body: Any, key: str | None = None) -> Any:
        headers = {**self.headers[who], "Idempotency-Key": self._key(key)}
        return self.client.put(path, json=body, headers=headers)

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(path, headers=self.headers[who], params=params)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        return self.client.post("/auth/token", json={"username": username, "password": password})

    def state(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: what a refused request must leave as it was (the
        tables the contexts declare, without reflecting the database each time)."""
        with self.app.store.engine.connect() as conn:
            return {
                table.name: sorted(tuple(row) for row in conn.execute(sa.select(table)))
                for table in all_tables()
            }


def build_world(client: TestClient, app: App) -> IdWorld:
    w = IdWorld(client, app)
    for party, role in CAST.items():
        app.registry.open_account("registry", f"open-{party}", c.OpenAccount(party, role, party))
    onboard = Onboard("ind", Role.INDIVIDUAL, "王伟", "ind", PASSWORD, IND_FACTS)
    app.identity.onboard("plat", "onboard-ind", onboard)
    create_logins(app, ["registry", *CAST])
    for party in ["registry", "ind", *CAST]:
        w.headers[party] = bearer(app, party)
    issued = app.identity.create_api_key("registry", "key-ems", CreateApiKey("ems", "backend"))
    assert issued.secret is not None
    w.ems_key_id, w.ems_secret = int(issued.key["key_id"]), issued.secret
    w.headers["ems-key"] = {"X-API-Key": issued.secret}
    return w
