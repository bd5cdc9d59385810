"""Build the FastAPI application over one app from the composition root.

``create_app(bootstrap.build(url, group_commit=True))`` is the API over one app; whoever
built the app closes it, unless it hands it over (``owns_app``: the API closes it when
the server shuts down). ``pctrade serve`` runs ``api.serve.worker_app`` in each worker
process, which builds the app from the server's settings. Routes are synchronous on
purpose: the store is synchronous, so FastAPI runs each request in its thread pool and
the database (one writer at a time holding the journal head) orders the writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse

from pctrade.api import openapi, problems
from pctrade.api.deps import parameters_as_documented
from pctrade.api.guard import RequestGuard
from pctrade.api.limits import BodyLimit
from pctrade.api.routers import (
    accounts,
    auth,
    batches,
    behaviour,
    cancellations,
    cash,
    compliance,
    compliance_surrender,
    corrections,
    distributions,
    energy,
    freezes,
    identity,
    inclusive,
    journal,
    market,
    market_blocks,
    market_workers,
    pool_sales,
    pools,
    retirements,
    rules,
    sinks,
    surrenders,
    transfers,
    verify,
)
from pctrade.api.settings import ApiSettings
from pctrade.bootstrap import App
from pctrade.web.app import create_web

ROUTERS = (
    auth,
    identity,
    accounts,
    batches,
    transfers,
    distributions,
    freezes,
    surrenders,
    retirements,
    cancellations,
    cash,
    corrections,
    journal,
    verify,
    behaviour,
    energy,
    sinks,
    rules,
    inclusive,
    market,
    market_blocks,
    market_workers,
    pool_sales,
    pools,
    compliance,
    compliance_surrender,
)

DESCRIPTION = """\
The registry of pctrade (注册登记系统): accounts, credit batches, transfers, freezes,
surrenders, retirements with certificates, cancellations, cash and corrections, each an
entry in an append-only, hash-chained journal.

* Carbon is integer grams CO2e (`quantity_g`), money integer fen (`amount_fen`).
* Authenticate with `Authorization: Bearer <token>` (from `POST /auth/token`) or
  `X-API-Key: <key>` (from `POST /identity/parties/{party_id}/api-keys`). Failed logins
  are throttled per account and per client address: `429` with `Retry-After`.
* Every write needs an `Idempotency-Key` header; a replay returns the original result
  with `Idempotent-Replayed: true`.
* Errors are `application/problem+json` with a stable `code`; each operation lists, per
  status, the codes it may answer (`x-codes`).
* Text may hold any Unicode but U+0000 (`nul_character`); a JSON key given twice in one
  object (`duplicate_key`), a query parameter given twice (`duplicate_parameter`) and a
  header read once sent twice (`duplicate_header`) are refused: which one was meant?
"""


async def _to_the_pages(request: Request) -> RedirectResponse:
    return RedirectResponse("/web/", status_code=307)


def create_app(
    wired: App, settings: ApiSettings | None = None, *, owns_app: bool = False
) -> FastAPI:
    """The HTTP API over ``wired``: its store, registry, services, clock and data folder.
    ``owns_app``: close ``wired`` when the server shuts down."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owns_app:
                wired.close()

    app = FastAPI(
        title="pctrade registry API",
        version="1",
        description=DESCRIPTION,
        dependencies=[Depends(parameters_as_documented)],
        lifespan=lifespan,
    )
    app.state.app = wired
    app.state.declared_parameters = {}  # deps.parameters_as_documented, per operation
    app.state.settings = settings or ApiSettings()
    problems.install(app)
    openapi.install(app)
    # The last added runs first: the size limit, then the guard that reads JSON bodies.
    app.add_middleware(RequestGuard, body_bytes_max=app.state.settings.body_bytes_max)
    app.add_middleware(BodyLimit, body_bytes_max=app.state.settings.body_bytes_max)
    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(market.me)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # A plain route, outside the API's dependencies: the first visitor is not made to
    # wait while the OpenAPI document they check parameters against is built.
    app.add_route("/", _to_the_pages, include_in_schema=False)

    # The pages people use (pctrade.web), over the same app and services.
    settings_used = app.state.settings
    app.mount(
        "/web",
        create_web(wired, secret=settings_used.web_secret, token_ttl_s=settings_used.token_ttl_s),
    )

    return app
