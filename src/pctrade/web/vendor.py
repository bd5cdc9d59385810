"""Third-party browser code, served from the npm packages ``make setup`` installed.

``package.json``/``package-lock.json`` here pin ECharts and axe-core from the npm
registry; ``npm ci --prefix src/pctrade/web`` puts them in ``node_modules`` (git-ignored:
no third-party code is in the repository, and no page loads anything from a CDN). When
they are missing, ``/web/vendor/…`` answers 404 with the command to run, and the pages
still show every chart's table.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse, Response

NODE_MODULES = Path(__file__).parent / "node_modules"
# The files a page may load: a fixed list, so no path from a request reaches the disk.
VENDOR_FILES = {
    "echarts.min.js": Path("echarts") / "dist" / "echarts.min.js",
    "axe.min.js": Path("axe-core") / "axe.min.js",
}
VENDOR_MAX_AGE_S = 24 * 3600

router = APIRouter()


@router.get("/vendor/{name}", include_in_schema=False)
def vendor_file(name: str) -> Response:
    relative = VENDOR_FILES.get(name)
    if relative is None:
        return PlainTextResponse(f"no vendor file {name}", status_code=404)
    path = NODE_MODULES / relative
    if not path.is_file():
        return PlainTextResponse(
            f"{name} is not installed: run `npm ci --prefix src/pctrade/web` (make setup)",
            status_code=404,
        )
    return FileResponse(
        path,
        media_type="text/javascript",
        headers={"Cache-Control": f"public, max-age={VENDOR_MAX_AGE_S}"},
    )
