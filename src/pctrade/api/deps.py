"""FastAPI dependencies, as typed aliases: the app and its parts, the actor, the key.

The app (``AppDep``) is the composition root's (``pctrade.bootstrap``): its store,
registry, services, clock and data folder are what every route works with.

``ActorDep`` resolves the caller's credential (``Authorization: Bearer …`` or
``X-API-Key: …``) to the registry party that every service call is made for. Missing
or unknown credentials are 401; what the party may do is the services' decision (403).
``IdempotencyKeyDep`` makes the ``Idempotency-Key`` header mandatory on writes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, Header, Path, Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from pctrade.api import lookups
from pctrade.api.problems import AuthenticationError, HttpProblem
from pctrade.api.settings import ApiSettings
from pctrade.bootstrap import App
from pctrade.inclusive.service import CarbonInclusive
from pctrade.kernel.errors import ValidationError
from pctrade.kernel.units import check_int64
from pctrade.ledger.model import Party, parse_account_ref
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.service import Market
from pctrade.pools.service import Pools
from pctrade.sinks.service import Sinks

REPLAYED_HEADER = "Idempotent-Replayed"

_bearer = HTTPBearer(auto_error=False, description="token from POST /auth/token")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="partner API key")


def _app(request: Request) -> App:
    app: App = request.app.state.app
    return app


AppDep = Annotated[App, Depends(_app)]


def _store(app: AppDep) -> SqlStore:
    return app.store


def _registry(app: AppDep) -> Registry:
    return app.registry


def _sinks(app: AppDep) -> Sinks:
    return app.sinks


def _inclusive(app: AppDep) -> CarbonInclusive:
    return app.inclusive


def _pools(app: AppDep) -> Pools:
    return app.pools


def _market(app: AppDep) -> Market:
    return app.market


def _settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


StoreDep = Annotated[SqlStore, Depends(_store)]
RegistryDep = Annotated[Registry, Depends(_registry)]
SettingsDep = Annotated[ApiSettings, Depends(_settings)]
SinksDep = Annotated[Sinks, Depends(_sinks)]
InclusiveDep = Annotated[CarbonInclusive, Depends(_inclusive)]
MarketDep = Annotated[Market, Depends(_market)]
PoolsDep = Annotated[Pools, Depends(_pools)]


def _actor(
    store: StoreDep,
    app: AppDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Party:
    if bearer is not None:
        party_id = app.identity.session(bearer.credentials).party_id
    elif api_key is not None:
        party_id = app.identity.party_for_api_key(api_key)
    else:
        raise AuthenticationError(
            "send Authorization: Bearer <token> or X-API-Key: <key>", code="unauthenticated"
        )
    party = lookups.party(store, party_id)
    if party is None:
        raise AuthenticationError(f"credential's party {party_id} is unknown", code="unknown_party")
    return party


ActorDep = Annotated[Party, Depends(_actor)]


def _idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="unique per write; a replay returns the original result",
        ),
    ] = None,
) -> str:
    if key is None or not key.strip():
        raise HttpProblem(
            400, "idempotency_key_required", "every write needs an Idempotency-Key header"
        )
    return key


IdempotencyKeyDep = Annotated[str, Depends(_idempotency_key)]


class Replayable(Protocol):
    """A write's answer: an entry's receipt, a context's result or a logged row."""

    @property
    def replayed(self) -> bool: ...


def mark_replay(answer: Replayable, response: Response) -> None:
    """A replayed write answers as the original did, flagged by a header."""
    if answer.replayed:
        response.headers[REPLAYED_HEADER] = "true"


def _account_path(
    account: Annotated[str, Path(max_length=32, description="account id or number")],
) -> int:
    return check_int64(parse_account_ref(account), "account id")


AccountPathDep = Annotated[int, Depends(_account_path)]


@dataclass(frozen=True, slots=True)
class _Declared:
    """What the document says of an operation's parameters."""

    lists: frozenset[str]  # query parameters that may be given more than once
    integers: frozenset[str]  # query and path parameters that are integers only


def parameters_as_documented(request: Request) -> None:
    """Query and path parameters as the document declares them, run before every route
    (``create_app``): one that is one value is given once (which of ``?partner=a&partner=b``
    was meant?), and an integer is written as one (pydantic would read ``after=0.0``)."""
    declared = _declared(request)
    counts = Counter(name for name, _ in request.query_params.multi_items())
    for name, n in sorted(counts.items()):
        if n > 1 and name not in declared.lists:
            raise ValidationError(
                f"query parameter {name!r} is given more than once", code="duplicate_parameter"
            )
    given = [*request.query_params.multi_items(), *request.path_params.items()]
    for name, value in given:
        if name in declared.integers and not _INTEGER.match(str(value)):
            raise ValidationError(f"{name} must be an integer, got {str(value)[:32]!r}")


_INTEGER = re.compile(r"^-?[0-9]+$")


def _declared(request: Request) -> _Declared:
    route = request.scope.get("route")
    key = (getattr(route, "path", ""), request.method.lower())
    cache: dict[tuple[str, str], _Declared] = request.app.state.declared_parameters
    found = cache.get(key)
    if found is None:
        operation = request.app.openapi()["paths"].get(key[0], {}).get(key[1], {})
        parameters = [p for p in operation.get("parameters", ()) if p.get("in") != "header"]
        found = _Declared(
            frozenset(p["name"] for p in parameters if _is(p.get("schema", {}), "array")),
            frozenset(p["name"] for p in parameters if _only(p.get("schema", {}), "integer")),
        )
        cache[key] = found
    return found


def _types(schema: dict[str, Any]) -> set[str]:
    found = {str(schema["type"])} if "type" in schema else set()
    for option in schema.get("anyOf", ()):
        found |= _types(option)
    return found


def _is(schema: dict[str, Any], kind: str) -> bool:
    return kind in _types(schema)


def _only(schema: dict[str, Any], kind: str) -> bool:
    return _types(schema) - {"null"} == {kind}
