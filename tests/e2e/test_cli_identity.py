"""A new deployment run from the shell alone: ``pctrade identity …``, then the API.

The operator's first login, logins for partners, a platform onboarding a person, API
keys made, rotated and revoked, a password changed and the audit log read — with no
Python shell; then the logins and keys made here work over HTTP.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from api_support import api_for
from pctrade import bootstrap
from pctrade.cli.main import app

PASSWORD = "operator passphrase 1"
NEW = "a better passphrase 2"
BASE_ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}


def run(db: str, *args: str, password: str | None = PASSWORD, **env: str) -> Result:
    full_env = {**BASE_ENV, "PCTRADE_PASSWORD": password or "", **env}
    result = CliRunner().invoke(app, [*args, "--db", db], env=full_env, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def ok(db: str, *args: str, **env: str) -> str:
    result = run(db, *args, **env)
    assert result.exit_code == 0, result.output
    return result.output


def secret_in(output: str) -> str:
    found = re.search(r"pct_k_[A-Za-z0-9_-]{43}", output)
    assert found is not None, output
    return found.group(0)


def test_a_new_deployment_is_run_from_the_shell_and_then_over_http(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    ok(db, "identity", "init-operator", "admin")
    again = run(db, "identity", "init-operator", "admin2")
    assert again.exit_code == 2 and "operator_login_exists" in again.output
    ok(db, "registry", "open-account", "plat", "--role", "platform", "--name", "绿色出行")
    ok(db, "identity", "create-login", "plat-ops", "--party", "plat")
    onboarded = ok(
        db, "identity", "onboard", "wang", "--username", "wangwei", "--name", "王伟",
        "--verified-on", "2026-06-01", "--method", "ctid", "--birth-date", "1990-05-17",
        "--risk-level", "C3", "--risk-assessed-on", "2026-06-02", "--as", "plat",
    )  # fmt: skip
    assert "login wangwei" in onboarded
    facts = ok(db, "identity", "facts", "wang", "--as", "plat")
    assert "1990-05-17" in facts and "ctid" in facts and "plat" in facts
    later = ok(
        db, "identity", "record-facts", "wang", "--verified-on", "2026-06-01", "--method",
        "ctid", "--risk-level", "C4", "--risk-assessed-on", "2026-06-20", "--as", "plat",
    )  # fmt: skip
    assert "C4" in later and "2026-06-20" in later
    refused = run(db, "identity", "facts", "wang", "--as", "plat-other")
    assert refused.exit_code == 2 and "unknown_actor" in refused.output

    first = secret_in(
        ok(db, "identity", "keys", "create", "plat", "--label", "feed", "--as", "plat")
    )
    listed = ok(db, "identity", "keys", "list", "plat", "--as", "plat")
    assert "feed" in listed and first not in listed and first[:10] in listed
    rotated = secret_in(ok(db, "identity", "keys", "rotate", "plat", "1", "--as", "plat"))
    second = secret_in(ok(db, "identity", "keys", "create", "plat", "--label", "spare"))
    ok(db, "identity", "keys", "revoke", "plat", "2")
    ok(db, "identity", "password", "wangwei", password=NEW, PCTRADE_OLD_PASSWORD=PASSWORD)
    wrong = run(db, "identity", "password", "wangwei", password=NEW, PCTRADE_OLD_PASSWORD="nope!")
    assert wrong.exit_code == 2 and "wrong_password" in wrong.output

    audit = ok(db, "identity", "audit")
    for event in ("login_created", "onboarded", "api_key_rotated", "password_changed"):
        assert event in audit
    assert PASSWORD not in audit and first not in audit

    with bootstrap.build(db) as served, TestClient(api_for(served)) as client:

        def login(username: str, password: str) -> int:
            body = {"username": username, "password": password}
            return client.post("/auth/token", json=body).status_code

        assert login("admin", PASSWORD) == 200 and login("plat-ops", PASSWORD) == 200
        assert login("wangwei", NEW) == 200 and login("wangwei", PASSWORD) == 401
        for key, status in ((rotated, 200), (first, 401), (second, 401)):
            assert client.get("/me/accounts", headers={"X-API-Key": key}).status_code == status


def test_a_password_is_asked_for_never_taken_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    as_argument = run(db, "identity", "init-operator", "admin", "--password", PASSWORD)
    assert as_argument.exit_code == 2 and "No such option" in as_argument.output
    prompted = CliRunner().invoke(
        app,
        ["identity", "init-operator", "admin", "--db", db],
        env={**BASE_ENV, "PCTRADE_PASSWORD": ""},
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert PASSWORD not in prompted.output
    with bootstrap.build(db) as served:
        assert served.identity.login("admin", PASSWORD).party_id == "registry"
