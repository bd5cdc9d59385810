"""PCER issuance certificates: per batch and per sponsor, as data, HTTP (JSON, HTML) and CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sinks_api_support import Api
from sinks_world import (
    SinkWorld,
    approved_project,
    build,
    file_report,
    grant_energy,
    new_key,
    unit_g,
)
from typer.testing import CliRunner

from api_support import api_for
from pctrade.cli.main import app as cli
from pctrade.kernel.errors import NotFound
from pctrade.ledger.sql.store import SqlStore
from pctrade.sinks.certificates import issuance_certificate, sponsor_certificate
from pctrade.sinks.monitoring import Period
from pctrade.sinks.service import Issuance

Q3 = Period(date(2026, 7, 1), date(2026, 9, 30))
REMOVALS_G = 400_000_007
UNITS = {"alice": 3, "bob": 2, "chen": 2}


def issue(w: SinkWorld) -> Issuance:
    grant_energy(w, {p: u * unit_g() for p, u in UNITS.items()})
    code = approved_project(w)
    for person, units in UNITS.items():
        w.sinks.sponsor(person, f"sp-{person}", w.people[person], code, units)
    report = file_report(w, code, Q3, REMOVALS_G)
    w.sinks.verify("cqc", new_key(), int(report["report_id"]), True, "re-measured")
    return w.sinks.issue("reg", "issue-q3", int(report["report_id"]))


@pytest.fixture
def world(any_store: SqlStore) -> tuple[SinkWorld, Issuance]:
    w = build(any_store)
    return w, issue(w)


def test_the_batch_certificate_is_the_issuance_record(world: tuple[SinkWorld, Issuance]) -> None:
    w, issued = world
    cert = issuance_certificate(w.store, issued.issue_seq)
    assert cert.batch == issued.batch == "PCER-GD-AFF0007-2026Q3-001"
    assert (cert.period_start, cert.period_end, cert.verifier) == (
        "2026-07-01",
        "2026-09-30",
        "cqc",
    )
    assert cert.verified_removals_g == cert.issued_g == REMOVALS_G
    # Per unit (issue 11): 7 of the project's 100 units are sponsored.
    assert cert.buffer_g + cert.attributed_g + cert.unissued_g == REMOVALS_G
    assert cert.attributed_g == REMOVALS_G * 7 // 100 - cert.buffer_g == 22_400_000
    assert cert.buffer_g == 5_600_000  # ⌈20 % of the sponsored 28,000,000 g⌉
    assert (cert.sponsors, cert.total_shares, cert.project_units) == (3, 7, 100)
    assert cert.unit_definition == "one tree (1 of 100 trees on 1,000,000 m²)"
    assert "7 sponsored ÷ 100 units" in cert.share_rule
    assert cert.model_version == w.sinks.models.version
    assert cert.issued_by == "reg" and cert.journal_seq == issued.issue_seq
    assert len(cert.entry_hash) == 64


def test_each_sponsors_certificate_shows_the_exact_split(world: tuple[SinkWorld, Issuance]) -> None:
    w, issued = world
    cert = issuance_certificate(w.store, issued.issue_seq)
    credits = [sponsor_certificate(w.store, issued.issue_seq, w.people[p])[1] for p in UNITS]
    for c in credits:
        exact = cert.attributed_g * c.shares
        assert (c.floor_g, c.remainder) == divmod(exact, cert.total_shares)
        assert c.credited_g == c.floor_g + c.rounded_up == c.available_g
    assert sum(c.credited_g for c in credits) == cert.attributed_g
    assert sum(c.rounded_up for c in credits) == cert.leftover_g
    with pytest.raises(NotFound):
        sponsor_certificate(w.store, issued.issue_seq, 999_999)
    with pytest.raises(NotFound):
        issuance_certificate(w.store, 1)  # the genesis entry is no issuance


@pytest.fixture
def api(any_store: SqlStore) -> Iterator[tuple[Api, Issuance]]:
    w = build(any_store)
    issued = issue(w)
    app = api_for(w.app)
    with TestClient(app) as client:
        a = Api(client, w)
        a.at(datetime(2026, 10, 2, tzinfo=UTC))
        yield a, issued


def test_certificates_over_http_as_json_and_bilingual_html(api: tuple[Api, Issuance]) -> None:
    a, issued = api
    base = f"/sinks/issuances/{issued.issue_seq}/certificate"
    public = a.client.get(base).json()
    assert public["batch"] == issued.batch and public["sponsors"] == 3
    page = a.client.get(base + ".html")
    assert (
        page.status_code == 200 and "签发证明" in page.text and "Issuance certificate" in page.text
    )
    assert issued.batch in page.text and "alice" not in page.text
    assert "Sponsor unit" in page.text and "1 of 100 trees" in page.text
    mine = a.client.get("/me" + base, headers=a.headers["alice"]).json()
    assert mine["credit"]["shares"] == 3 and mine["issuance"]["batch"] == issued.batch
    mine_page = a.client.get("/me" + base + ".html", headers=a.headers["alice"])
    assert "我的信用" in mine_page.text and "My credits" in mine_page.text
    assert a.client.get("/me" + base, headers=a.headers["reg"]).status_code == 404
    assert a.client.get("/me" + base).status_code == 401
    assert a.client.get("/sinks/issuances/1/certificate").status_code == 404


def test_the_cli_shows_the_batch_and_a_sponsors_certificate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = SqlStore(url)
    w = build(store)
    issued = issue(w)
    env = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}
    args = ["sink", "certificate", str(issued.issue_seq), "--db", url]
    out = CliRunner().invoke(cli, args, env=env)
    assert out.exit_code == 0, out.output
    assert issued.batch in out.output and "3 sponsors, 7 of 100 units" in out.output
    mine = CliRunner().invoke(cli, [*args, "--account", str(w.people["alice"])], env=env)
    assert mine.exit_code == 0 and "3 / 7" in mine.output
    store.dispose()
