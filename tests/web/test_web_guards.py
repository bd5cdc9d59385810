"""Who may see a page (``require_role``), malformed forms, and the CSRF key's setting."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import Depends, FastAPI, Request, Response
from fastapi.testclient import TestClient

from pctrade import demo
from pctrade.bootstrap import App
from pctrade.bootstrap.settings import ENV_WEB_SECRET, ServeSettings
from pctrade.kernel.errors import ValidationError
from pctrade.ledger.model import Role
from pctrade.web.app import create_web
from pctrade.web.forms import FormDep, idempotency_key
from pctrade.web.session import WebUser, require_role
from pctrade.web.templating import render

HIDDEN = re.compile(r'name="(csrf_token|idempotency_key)" value="([^"]+)"')


@pytest.fixture(scope="module")
def web_alone(demo_app: App) -> FastAPI:
    """The web app alone (not mounted: its root is ``/``), with two pages of a test's
    own: one for regulators, and a form that echoes its idempotency key."""
    pages = create_web(demo_app)

    @pages.get("/for-regulators")
    def for_regulators(
        request: Request, user: WebUser = Depends(require_role(Role.REGULATOR))
    ) -> Response:
        shown = {"code": "ok", "message": user.party_id, "status": 200}
        return render(request, "error.html", shown)

    @pages.post("/echo")
    def echo(fields: FormDep) -> dict[str, str]:
        return {"key": idempotency_key(fields), **fields}

    return pages


@pytest.fixture
def web(web_alone: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_alone) as client:
        yield client


def _sign_in(client: TestClient, username: str) -> None:
    form = dict(HIDDEN.findall(client.get("/login").text))
    fields = {**form, "username": username, "password": demo.DEMO_PASSWORD}
    assert client.post("/login", data=fields, follow_redirects=False).status_code == 303


def test_a_visitor_is_sent_to_sign_in_and_back(web: TestClient) -> None:
    answer = web.get("/for-regulators?tab=caps", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/for-regulators%3Ftab%3Dcaps"


def test_a_page_refuses_other_roles_and_shows_its_own(web: TestClient) -> None:
    _sign_in(web, "emitter")
    refused = web.get("/for-regulators")
    assert refused.status_code == 403 and "<code>forbidden</code>" in refused.text
    _sign_in(web, "regulator")
    shown = web.get("/for-regulators")
    assert shown.status_code == 200 and demo.REGULATOR in shown.text


def test_a_form_hands_its_key_on_and_refuses_a_field_sent_twice(web: TestClient) -> None:
    form = dict(HIDDEN.findall(web.get("/login").text))
    echoed = web.post("/echo", data={**form, "amount": "5"})
    assert echoed.json() == {
        "key": form["idempotency_key"],
        "idempotency_key": form["idempotency_key"],
        "amount": "5",
    }
    body = "&".join(f"{k}={v}" for k, v in form.items()) + "&amount=5&amount=6"
    twice = web.post(
        "/echo", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert twice.status_code == 422 and "invalid_request" in twice.text
    keyless = {"csrf_token": form["csrf_token"], "amount": "5"}
    assert web.post("/echo", data=keyless).status_code == 422


def test_the_csrf_key_of_a_server_is_long_hex_and_reaches_every_worker() -> None:
    secret = "ab" * 32
    settings = ServeSettings.from_env({ENV_WEB_SECRET: secret})
    assert settings.web_secret == secret and secret not in repr(settings)
    assert ServeSettings.from_env(settings.to_env()).web_secret == secret
    for bad in ("not hex", "abcd"):
        with pytest.raises(ValidationError) as refused:
            ServeSettings.from_env({ENV_WEB_SECRET: bad})
        assert refused.value.code == "bad_setting"
