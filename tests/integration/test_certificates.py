"""Retirement certificates on SQLite and PostgreSQL (issue 12, item 6: personal data).

A certificate is public to whoever holds its id, and only to them: the id carries a
random token the retire entry records, so counting seqs finds nothing. The public view
withholds the beneficiary unless the retiring party chose to publish it, and never
shows an individual's account number. Retirements recorded before entries kept a token
got one from migration 0013, beside the journal; ``verify`` checks every retirement has
exactly one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from registry_world import BATCH, World, assert_verifies, build_world, snapshot

from migration_support import migrate_through
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.entropy import SeededEntropy, token
from pctrade.kernel.errors import NotFound
from pctrade.ledger import commands as c
from pctrade.ledger import queries
from pctrade.ledger.operations import OpType, Plan, Retirement, plan_retire
from pctrade.ledger.sql.store import SqlStore

MINE = Retirement("Alice 李", "offset my commute", "CN-GD", "2026-10")
PUBLISHED = Retirement("Steel Co 钢铁", "offset 2026 office power", publish_beneficiary=True)
ID_RE = re.compile(r"^RC-(\d+)-([a-z2-7]{26})$")


@pytest.fixture
def world(any_store: SqlStore) -> Iterator[World]:
    w = build_world(any_store)
    yield w
    assert_verifies(any_store)


def _retire(world: World, key: str, retirement: Retirement = MINE, who: str = "alice") -> str:
    account = world.alice if who == "alice" else world.steel
    r = world.reg.retire(who, key, c.Retire(account, BATCH, 10, retirement))
    return queries.certificate(world.store, r.seq).certificate_id


def test_a_certificate_id_carries_the_token_its_entry_records(world: World) -> None:
    cert_id = _retire(world, "r-1")
    match = ID_RE.match(cert_id)
    assert match is not None
    seq, token = int(match[1]), match[2]
    with world.store.reader() as uow:
        entry = uow.entry(seq)
    assert entry is not None and entry.header.payload["certificate_token"] == token
    assert _retire(world, "r-2") != cert_id  # every retirement draws its own
    # A replay answers with the certificate first given, and writes nothing.
    before = snapshot(world.store)
    assert _retire(world, "r-1") == cert_id
    assert snapshot(world.store) == before


def test_certificates_cannot_be_listed_by_counting_seqs(world: World) -> None:
    real = _retire(world, "r-1", PUBLISHED, who="steel")
    seq = int(real.split("-")[1])
    head = snapshot(world.store)[0]
    guesses = [f"RC-{n}-{'a' * 26}" for n in range(1, head + 2)]
    guesses += [f"RC-{seq:012d}", f"RC-{seq}", real.upper(), real[:-1] + "b", f"RC-{seq}-"]
    for guess in guesses:
        if guess == real:
            continue
        with pytest.raises(NotFound) as refused:
            queries.public_certificate(world.store, guess)
        assert refused.value.code == "unknown_certificate"
    assert queries.public_certificate(world.store, real).journal_seq == seq


def test_an_individuals_name_and_account_number_are_withheld_by_default(world: World) -> None:
    cert_id = _retire(world, "r-1")
    full = queries.certificate(world.store, int(cert_id.split("-")[1]))
    assert (full.beneficiary, full.retired_by) == ("Alice 李", f"IND-{world.alice:010d}")
    public = queries.public_certificate(world.store, cert_id)
    assert public.beneficiary is None and not public.beneficiary_published
    assert public.retired_by is None and public.holder_type == "individual"
    assert (public.batch, public.quantity_g, public.reason) == (BATCH, 10, MINE.reason)


def test_a_name_chosen_for_publication_is_shown_and_an_emitters_account_too(world: World) -> None:
    mine = Retirement(MINE.beneficiary, MINE.reason, publish_beneficiary=True)
    shown = queries.public_certificate(world.store, _retire(world, "r-1", mine))
    assert shown.beneficiary == "Alice 李" and shown.retired_by is None
    emitter = queries.public_certificate(world.store, _retire(world, "r-2", PUBLISHED, "steel"))
    assert emitter.beneficiary == PUBLISHED.beneficiary
    assert emitter.retired_by == f"EMT-{world.steel:010d}"


def test_seeded_entropy_draws_the_same_certificate_ids(any_store: SqlStore) -> None:
    w = build_world(any_store, entropy=SeededEntropy("same"))
    first = _retire(w, "r-1")
    assert first.endswith(token(SeededEntropy("same")))


# ---- retirements recorded before 0013 ----------------------------------------------------------
def _old_style_retirement(world: World) -> int:
    """A retire entry as the code before 0013 wrote it: no token, no publication choice."""
    with world.store.reader() as uow:
        account = uow.account(world.alice)
        batch = uow.batch_named(BATCH)
    assert account is not None and batch is not None
    plan = plan_retire(account, batch.asset_id, 5, MINE, certificate_token="a" * 26)
    payload = {
        k: v
        for k, v in plan.payload.items()
        if k not in ("certificate_token", "publish_beneficiary")
    }
    old = Plan(OpType.RETIRE, payload, postings=plan.postings)
    cmd = c.Retire(world.alice, BATCH, 5, MINE)
    with world.store.writer() as uow:
        entry = uow.append(old, "alice", "old-retire", cmd.fingerprint(), "2026-08-01T00:00:00Z")
        uow.commit()
    return entry.seq


def _rewind_before_0013(store: SqlStore) -> None:
    config = Config()
    config.set_main_option("script_location", str(resources.files("pctrade") / "migrations"))
    before = ScriptDirectory.from_config(config).get_revision("0013").down_revision
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE certificate_tokens"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": before})


def test_migration_0013_gives_older_retirements_a_token_and_they_verify(world: World) -> None:
    new_id = _retire(world, "r-new")
    old_seq = _old_style_retirement(world)
    _rewind_before_0013(world.store)
    migrate_through(world.store, "0013")
    with world.store.reader() as uow:
        tokens = dict(uow.legacy_certificate_tokens())
    assert list(tokens) == [old_seq]  # the new retirement keeps its own, in its entry
    old = queries.certificate(world.store, old_seq)
    assert old.certificate_id == f"RC-{old_seq}-{tokens[old_seq]}"
    public = queries.public_certificate(world.store, old.certificate_id)
    # It never chose to publish: the public view withholds the name.
    assert public.beneficiary is None and public.retired_by is None
    with pytest.raises(NotFound):
        queries.public_certificate(world.store, f"RC-{old_seq:012d}")
    assert queries.public_certificate(world.store, new_id).journal_seq < old_seq


def test_verify_finds_a_retirement_without_a_token_or_with_two(world: World) -> None:
    new_seq = int(_retire(world, "r-new").split("-")[1])
    old_seq = _old_style_retirement(world)
    codes = {p.code: p.seq for p in verify(world.store).problems}
    assert codes == {"certificate_token_missing": old_seq}
    with world.store.engine.begin() as conn:
        insert = sa.text("INSERT INTO certificate_tokens (seq, token) VALUES (:s, :t)")
        conn.execute(insert, [{"s": old_seq, "t": "b" * 26}, {"s": new_seq, "t": "c" * 26}])
        conn.execute(insert, {"s": 1, "t": "d" * 26})
    codes = {p.code: p.seq for p in verify(world.store).problems}
    assert codes == {"certificate_token_twice": new_seq, "certificate_token_orphan": 1}
    with world.store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM certificate_tokens WHERE seq <> :s"), {"s": old_seq})
