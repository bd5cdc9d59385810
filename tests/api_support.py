"""The HTTP API over a test's app, its FastAPI shell built once per process and settings.

FastAPI (0.165) builds each route's state (dependencies, parameter and response models)
lazily, per application object, on the first request that matches against it: about a
second of CPU for the registry's 130-odd routes, which a fresh ``create_app`` per test
paid again in every API test. The shell holds no registry state: every request reads the
app it serves (``app.state.app``) and the settings (``app.state.settings``) from the
application's state, which ``api_for`` points at the test's own before handing it out.
What the shell keeps between tests is what any one server keeps for its life: the routes'
built state, the declared parameters per operation and the completed OpenAPI document.

One shell serves one test at a time: a test that needs two APIs alive at once (over two
apps, say) builds the second with ``create_app``.
"""

from __future__ import annotations

from fastapi import FastAPI

from pctrade.api.app import create_app
from pctrade.api.settings import ApiSettings
from pctrade.bootstrap import App

_SHELLS: dict[ApiSettings, FastAPI] = {}


def api_for(wired: App, settings: ApiSettings | None = None) -> FastAPI:
    """The API over ``wired`` with ``settings``, as ``create_app(wired, settings)`` builds
    it (never owning ``wired``), on this process' shell for those settings."""
    chosen = settings or ApiSettings()
    shell = _SHELLS.get(chosen)
    if shell is None:
        shell = _SHELLS[chosen] = create_app(wired, chosen)
    shell.state.app = wired
    shell.state.settings = chosen  # a test may have changed its shell's settings
    return shell
