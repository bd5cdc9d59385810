"""A platform's console reads its own pools (``pools.queries.pools_of_platform``)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sale_support import POOL, TERMS, open_pool, pool_world

from pctrade.kernel.errors import Forbidden
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools import queries


def test_a_platform_sees_its_pools_and_no_one_elses(any_store: SqlStore) -> None:
    pw = pool_world(any_store)
    w = pw.w
    opened = w.reg.open_account("registry", "o-p2", c.OpenAccount("plat2", Role.PLATFORM, "P2"))
    open_pool(w.reg, "POOL-GD-0002", "plat2", int(opened.payload["account"]), replace(TERMS))
    mine = queries.pools_of_platform(any_store, "plat")
    assert [p["pool_id"] for p in mine] == [POOL]
    # The public page's figures: how many contributors, never who.
    assert mine[0]["contributors"] == 2 and mine[0]["deposited_g"] > 0
    assert "alice" not in repr(mine)
    assert [p["pool_id"] for p in queries.pools_of_platform(any_store, "plat2")] == ["POOL-GD-0002"]


def test_only_a_platform_has_a_console(any_store: SqlStore) -> None:
    pool_world(any_store)
    with pytest.raises(Forbidden):
        queries.pools_of_platform(any_store, "alice")
