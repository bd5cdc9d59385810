"""Bulk entries on PostgreSQL go in by binary COPY, streamed in pieces."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from tests.integration.registry_world import assert_verifies

from pctrade import bootstrap
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql import pgcopy
from pctrade.ledger.sql.store import SqlStore

BATCH = "CCER-CN-AFF0007-2026Q3-001"


def test_pieces_join_to_the_whole_payload() -> None:
    values = np.arange(10, dtype=np.int64) * 7 - 20
    columns = [("int8", 3), ("int8", values), ("int2", values % 5), ("int8", -values)]
    whole = b"".join(pgcopy.encode_chunks(columns, rows_per_chunk=len(values)))
    for rows_per_chunk in (1, 3, 10, 64):
        pieces = list(pgcopy.encode_chunks(columns, rows_per_chunk))
        assert b"".join(pieces) == whole
    assert len(list(pgcopy.encode_chunks(columns, 3))) == 2 + 4  # header, 4 pieces, trailer


@pytest.mark.pg
def test_a_bulk_issue_copied_in_many_pieces_lands_exactly(
    pg_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pgcopy.encode_chunks, "__defaults__", (997,))  # pieces end mid-stream
    reg = bootstrap.build(pg_store).registry
    reg.open_account("registry", "reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    n = 6_000
    reg.open_accounts(
        "registry", "people", c.OpenAccounts(Role.INDIVIDUAL, [f"p{i}" for i in range(n)])
    )
    with pg_store.reader() as uow:
        first = uow.accounts_of("p0")[0].account_id
    ids = list(range(first, first + n))
    amounts = [1_000 + i for i in range(n)]
    reg.issue("reg", "bulk", c.Issue(BATCH, ids, amounts))
    with pg_store.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT account_id, amount FROM balances WHERE asset_id = 1 AND state = 0"
                " ORDER BY account_id"
            )
        ).all()
        postings = conn.execute(
            sa.text("SELECT COUNT(*), SUM(delta) FROM postings WHERE asset_id = 1 AND delta > 0")
        ).one()
    assert [tuple(r) for r in rows] == list(zip(ids, amounts, strict=True))
    assert tuple(postings) == (n, sum(amounts))
    assert_verifies(pg_store)
