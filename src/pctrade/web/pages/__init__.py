"""The page modules the web app includes, each with ``router: APIRouter``.

One line per module: whoever adds a page adds its module here.
"""

from __future__ import annotations

from types import ModuleType

from pctrade.web.pages import (
    auth,
    desk,
    market,
    platform,
    public,
    regulator,
    wallet,
    wallet_pools,
)

PAGE_ROUTERS: tuple[ModuleType, ...] = (
    auth,
    public,
    wallet,
    wallet_pools,
    platform,
    desk,
    market,
    regulator,
)
