"""The composition root's app behind a page: ``create_web`` puts it on the web app's
state (``app.state.app``), and every page reads its services from there."""

from __future__ import annotations

from fastapi import Request

from pctrade.bootstrap import App


def app_of(request: Request) -> App:
    app: App = request.app.state.app
    return app
