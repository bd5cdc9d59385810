"""The API of one server worker process: what ``pctrade serve`` hands uvicorn.

    uvicorn.run("pctrade.api.serve:worker_app", factory=True, workers=N)

uvicorn starts each worker as a fresh interpreter and calls ``worker_app`` there, so
each worker builds its own app — its own connection pool, group-commit writer and
cached order books — from the server's settings in the environment
(``bootstrap.settings``). The workers share nothing but the database, and that is
enough: every market command takes its contract's row lock and its next seq in the
database, and a worker whose cached book is behind the contract's seq rebuilds it from
the registry first (``market.service``), so there is one matcher per contract however
many workers there are.
"""

from __future__ import annotations

from fastapi import FastAPI

from pctrade.api.app import create_app
from pctrade.api.settings import ApiSettings
from pctrade.bootstrap import serve_app
from pctrade.bootstrap.settings import ServeSettings


def worker_app() -> FastAPI:
    """The API over a new app built from the environment's settings (it closes the app
    when the worker shuts down)."""
    settings = ServeSettings.from_env()
    return create_app(serve_app(settings), ApiSettings.served(settings), owns_app=True)
