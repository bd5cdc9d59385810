"""The public transparency page (``/web/``): the registry's totals, for anyone."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from pctrade.web.templating import render

router = APIRouter()


@router.get("/", include_in_schema=False)
def transparency(request: Request) -> Response:
    return render(request, "public/index.html", {})
