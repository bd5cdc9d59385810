"""Signing in and out through the pages, CSRF, and the language a page is shown in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from pctrade import demo
from pctrade.bootstrap import App
from pctrade.kernel.errors import AuthenticationError
from pctrade.web.session import SESSION_COOKIE

HIDDEN = re.compile(r'name="(csrf_token|idempotency_key)" value="([^"]+)"')


def hidden_fields(page: Response) -> dict[str, str]:
    return dict(HIDDEN.findall(page.text))


def sign_in(client: TestClient, username: str, password: str, next_path: str = "") -> Response:
    form = hidden_fields(client.get("/web/login"))
    fields = {**form, "username": username, "password": password, "next": next_path}
    return client.post("/web/login", data=fields, follow_redirects=False)


def test_the_api_root_sends_people_to_the_pages(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/web/"


def test_signing_in_puts_the_login_in_an_httponly_cookie_and_goes_to_the_role_home(
    client: TestClient, demo_app: App
) -> None:
    answer = sign_in(client, "emitter", demo.DEMO_PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/web/desk"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=pct_t_")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    token = client.cookies[SESSION_COOKIE]
    assert demo_app.identity.session(token).username == "emitter"
    page = client.get("/web/")
    with demo_app.store.reader() as uow:
        party = uow.party(demo.EMITTER)
    assert party is not None and f'<span class="who">{party.name}</span>' in page.text

    form = hidden_fields(page)
    out = client.post("/web/logout", data=form, follow_redirects=False)
    assert out.status_code == 303
    # Signing out ends the identity session itself, not only the cookie.
    try:
        demo_app.identity.session(token)
    except AuthenticationError as exc:
        assert exc.code == "invalid_token"
    else:
        raise AssertionError("the token still works after signing out")


def test_a_wrong_password_shows_the_form_again_with_its_code(client: TestClient) -> None:
    answer = sign_in(client, "regulator", "not-the-password")
    assert answer.status_code == 401
    assert "invalid_credentials" in answer.text and "用户名或密码错误" in answer.text
    assert SESSION_COOKIE not in client.cookies


def test_next_goes_back_to_the_page_but_never_to_another_site(client: TestClient) -> None:
    back = sign_in(client, "regulator", demo.DEMO_PASSWORD, "/web/market?contract=X")
    assert back.headers["location"] == "/web/market?contract=X"
    away = sign_in(client, "regulator", demo.DEMO_PASSWORD, "//evil.example/web/")
    assert away.headers["location"] == "/web/regulator"


def test_a_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
    client: TestClient,
) -> None:
    form = hidden_fields(client.get("/web/login"))
    fields = {"username": "regulator", "password": demo.DEMO_PASSWORD}
    for token in ({}, {"csrf_token": "0" * 64}):
        answer = client.post(
            "/web/login", data={**fields, **token, "idempotency_key": form["idempotency_key"]}
        )
        assert answer.status_code == 403 and "csrf_invalid" in answer.text
        assert SESSION_COOKIE not in client.cookies
    # A token made for another browser (another anonymous cookie) is refused too.
    other = TestClient(client.app)
    answer = other.post("/web/login", data={**fields, **form}, follow_redirects=False)
    assert answer.status_code == 403


def test_each_form_gets_a_fresh_idempotency_key(client: TestClient) -> None:
    first = hidden_fields(client.get("/web/login"))
    second = hidden_fields(client.get("/web/login"))
    assert first["csrf_token"] == second["csrf_token"]
    assert first["idempotency_key"] != second["idempotency_key"]


def test_the_language_is_chosen_remembered_and_announced(client: TestClient) -> None:
    chinese = client.get("/web/login")
    assert '<html lang="zh-CN">' in chinese.text and "用户名" in chinese.text
    english = client.get("/web/login?lang=en")
    assert '<html lang="en">' in english.text and "Username" in english.text
    assert english.headers["content-language"] == "en"
    # Remembered in the cookie without the query, over the browser's preference.
    again = client.get("/web/login", headers={"Accept-Language": "zh-CN"})
    assert "Username" in again.text
    fresh = TestClient(client.app)
    assert "Username" in fresh.get("/web/login", headers={"Accept-Language": "en-GB"}).text


def test_an_unknown_page_and_vendor_file_say_so(client: TestClient) -> None:
    assert client.get("/web/nowhere").status_code == 404
    assert client.get("/web/vendor/jquery.js").status_code == 404


def test_pages_run_only_this_sites_scripts_and_refuse_framing(client: TestClient) -> None:
    policy = client.get("/web/").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
