"""The pool sales' routes: a contributor's statement and their pool's sales, the public
page, the regulator's fee report; each refusal with its code (SQLite)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sale_support import POOL, a_sale, pool_world, sell

from api_support import api_for
from identity_support import bearer, create_logins
from pctrade.api.settings import ApiSettings
from pctrade.ledger.sql.store import SqlStore


def test_the_sales_routes_show_each_reader_what_is_theirs_to_see(store: SqlStore) -> None:
    pw = pool_world(store)
    app = pw.w.app
    sell(app.registry, "s-1", a_sale(pw))
    create_logins(app, ["alice", "bob", "reg", "steel"])
    h = {who: bearer(app, who) for who in ("alice", "bob", "reg", "steel")}
    with TestClient(api_for(app, ApiSettings())) as client:
        mine = client.get(f"/accounts/{pw.w.alice}/pool-statement", headers=h["alice"])
        assert mine.status_code == 200, mine.text
        line = mine.json()["lines"][0]
        assert (line["sale"], line["units_g"], line["net_fen"]) == ("S-1", 800, 455)
        assert line["gross_fen"] - line["fee_fen"] == line["net_fen"]
        other = client.get(f"/accounts/{pw.w.alice}/pool-statement", headers=h["bob"])
        assert other.status_code == 403
        sales = client.get(f"/pools/{POOL}/sales", headers=h["bob"])
        assert sales.status_code == 200
        assert [s["quantity_g"] for s in sales.json()["sales"]] == [2_000]
        stranger = client.get(f"/pools/{POOL}/sales", headers=h["steel"])
        assert stranger.status_code == 403
        public = client.get(f"/pools/{POOL}/public")
        assert public.status_code == 200
        assert (public.json()["sales"], public.json()["contributors_paid"]) == (1, 2)
        missing = client.get("/pools/POOL-GD-0009/public")
        assert (missing.status_code, missing.json()["code"]) == (404, "unknown_pool")
        fees = client.get("/regulator/pools/sales", headers=h["reg"])
        assert fees.status_code == 200
        assert fees.json()["platforms"][0]["payout_delay_s_max"] == 0
        assert client.get("/regulator/pools/sales", headers=h["alice"]).status_code == 403
