"""Review of held events through the registry (SQLite and PostgreSQL).

A held event is kept with what it would earn; a reviewer releases it (credited as a
one-line energy entry, capped against what the person already has that day and year)
or rejects it, once. The statement traces a release to its event, factor and
methodology version, and ``verify`` replays the journal afterwards.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from behaviour_support import HOUR_MS, MINUTE_MS, event, write_events

from migration_support import migrate_through
from pctrade import bootstrap
from pctrade.bootstrap import contexts
from pctrade.energy import review
from pctrade.energy import service as energy
from pctrade.energy.behaviour import Event, day_window
from pctrade.energy.behaviour.review import Decision, release_outcome
from pctrade.energy.pipeline import quantify_file
from pctrade.kernel.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    NotFound,
    ValidationError,
)
from pctrade.ledger import commands as c
from pctrade.ledger.model import ENERGY_ASSET, Role, State
from pctrade.ledger.service import Registry
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore

DAY = date(2026, 11, 24)
START = day_window(DAY, 0).start_ms
METRO_12KM_UG = 12_000 * 46_800  # 561.6 g; metro's daily cap is 1,000 g


def at(row_no: int, hour: int, minute: int = 0, **fields: Any) -> Event:
    start = START + hour * HOUR_MS + minute * MINUTE_MS
    return event(row_no, start_ms=start, end_ms=start + 30 * MINUTE_MS, **fields)


# Alice: one ride credited (561 g), then two overlapping rides held; Bob: one ride far
# too fast, held; Carol (no account): one ride too fast, held.
EVENTS = [
    at(0, 8, event_id="A1"),
    at(1, 12, event_id="A2"),
    at(2, 12, 10, event_id="A3"),
    at(3, 9, event_id="B1", person_id="bob", quantity=90),
    at(4, 9, event_id="C1", person_id="carol", quantity=90),
]


@pytest.fixture
def registry(any_store: SqlStore, tmp_path: Path) -> Registry:
    reg = bootstrap.build(any_store).registry
    for person in ("alice", "bob"):
        reg.open_account(
            "registry", f"open-{person}", c.OpenAccount(person, Role.INDIVIDUAL, person)
        )
    reg.open_account("registry", "open-reg", c.OpenAccount("mee", Role.REGULATOR, "MEE"))
    path = write_events(tmp_path / "day.parquet", EVENTS)
    result = quantify_file(path, DAY, as_of_ms=day_window(DAY, 0).end_ms)
    report = energy.post_day(reg, result)
    assert report.credited_g == 561
    return reg


def balance(registry: Registry, person: str) -> int:
    """The person's energy credited and waiting for collection (nobody collects here)."""
    with registry.store.reader() as uow:
        [account] = uow.accounts_of(person)
        return uow.balance(account.account_id, ENERGY_ASSET, State.UNCOLLECTED)


def decide(registry: Registry, key: str, event_id: str, what: Decision, **kw: Any) -> Any:
    actor = kw.pop("actor", "registry")
    return review.decide(registry, actor, key, "metro_card", event_id, what, "checked")


def test_held_events_are_listed_with_their_reason_and_what_they_would_earn(
    registry: Registry,
) -> None:
    listed = review.held(registry.store, DAY).items
    assert [(h.event_id, h.person_id, h.reason, h.avoided_ug) for h in listed] == [
        ("A2", "alice", "overlapping_trip", METRO_12KM_UG),
        ("A3", "alice", "overlapping_trip", METRO_12KM_UG),
        ("B1", "bob", "implausible_speed", 90_000 * 46_800),
        ("C1", "carol", "implausible_speed", 90_000 * 46_800),
    ]
    assert all(h.methodology == "metro/v1" and h.decision is None for h in listed)
    assert review.held(registry.store, DAY, "another_partner").items == []


def test_a_release_credits_the_capped_grams_and_the_statement_traces_it(
    registry: Registry,
) -> None:
    report = decide(registry, "rel-b1", "B1", Decision.RELEASE)
    # 90 km × 46.8 g = 4,212 g, above the daily cap of 1,000 g: the cap is credited.
    assert (report.decision, report.credited_g, report.cap_flag) == (
        "released",
        1_000,
        "over_daily_cap",
    )
    assert balance(registry, "bob") == 1_000
    with registry.store.reader() as uow:
        [account] = uow.accounts_of("bob")
        entry = uow.entry(report.seq)
    assert entry is not None and entry.header.op_type == "energy_credit"
    assert entry.header.payload["release"]["event_id"] == "B1"
    st = energy.statement(registry.store, account.account_id, DAY, DAY)
    [line] = [s.line for s in st.lines]
    assert (line.methodology, line.behaviour, line.events_n, line.quantity) == (
        "metro/v1",
        "metro_km",
        1,
        90_000,
    )
    assert line.factor_ug_per_unit == 46_800 and line.credited_g == 1_000
    assert line.avoided_ug == line.credited_g * 10**6 + line.remainder_ug + line.cap_forfeit_ug
    assert contexts.verify(registry.store).ok


def test_a_release_beyond_the_daily_cap_credits_only_the_room_left(registry: Registry) -> None:
    first = decide(registry, "rel-a2", "A2", Decision.RELEASE)
    assert (first.credited_g, first.cap_flag) == (1_000 - 561, "over_daily_cap")
    assert balance(registry, "alice") == 1_000
    second = decide(registry, "rel-a3", "A3", Decision.RELEASE)
    assert (second.decision, second.credited_g, second.seq) == ("released", 0, None)
    assert second.cap_flag == "over_daily_cap"
    assert balance(registry, "alice") == 1_000
    assert contexts.verify(registry.store).ok


def test_a_rejection_credits_nothing_and_a_second_decision_is_refused(
    registry: Registry,
) -> None:
    rejected = decide(registry, "rej-a2", "A2", Decision.REJECT)
    assert (rejected.decision, rejected.credited_g, rejected.seq) == ("rejected", 0, None)
    assert balance(registry, "alice") == 561
    for key, what in (("rel-a2", Decision.RELEASE), ("rej-a2-again", Decision.REJECT)):
        with pytest.raises(Conflict) as refused:
            decide(registry, key, "A2", what)
        assert refused.value.code == "already_decided"
    [a2] = [h for h in review.held(registry.store, DAY).items if h.event_id == "A2"]
    assert a2.decision is not None and a2.decision.decision == "rejected"


def test_the_same_request_again_answers_the_same_decision(registry: Registry) -> None:
    first = decide(registry, "rel-b1", "B1", Decision.RELEASE)
    again = decide(registry, "rel-b1", "B1", Decision.RELEASE)
    assert again.replayed and (again.seq, again.credited_g) == (first.seq, first.credited_g)
    assert balance(registry, "bob") == 1_000
    rejected = decide(registry, "rej-a2", "A2", Decision.REJECT)
    replayed = decide(registry, "rej-a2", "A2", Decision.REJECT)
    assert (rejected.replayed, replayed.replayed) == (False, True)
    assert replayed.decision == rejected.decision == "rejected"


def test_only_a_reviewer_may_decide(registry: Registry) -> None:
    with pytest.raises(Forbidden):
        decide(registry, "k1", "B1", Decision.RELEASE, actor="alice")
    with pytest.raises(Forbidden):
        decide(registry, "k2", "B1", Decision.REJECT, actor="bob")
    assert balance(registry, "bob") == 0
    released = decide(registry, "k3", "B1", Decision.RELEASE, actor="mee")  # the regulator
    assert released.credited_g == 1_000


def test_unknown_events_and_people_without_account_are_refused(registry: Registry) -> None:
    with pytest.raises(NotFound) as unknown:
        decide(registry, "k1", "NOPE", Decision.RELEASE)
    assert unknown.value.code == "unknown_event"
    with pytest.raises(NotFound) as no_account:
        decide(registry, "k2", "C1", Decision.RELEASE)
    assert no_account.value.code == "unknown_account"
    with pytest.raises(ValidationError):
        review.decide(registry, "registry", "k3", "metro_card", "A2", Decision.REJECT, " ")
    assert decide(registry, "k4", "C1", Decision.REJECT).decision == "rejected"


def test_release_caps_use_the_reference_rule() -> None:
    assert release_outcome(METRO_12KM_UG, 1_000, 100_000, 0, 0).credited_g == 561
    capped = release_outcome(METRO_12KM_UG, 1_000, 100_000, 561, 561)
    assert (capped.credited_g, capped.remainder_ug) == (439, 0)
    yearly = release_outcome(METRO_12KM_UG, 1_000, 1_000, 0, 900)
    assert (yearly.credited_g, str(yearly.cap_flag)) == (100, "over_yearly_cap")
    assert release_outcome(METRO_12KM_UG, 1_000, 100_000, 1_200, 0).credited_g == 0


def test_verify_finds_a_release_record_that_does_not_match_its_entry(
    registry: Registry,
) -> None:
    released = decide(registry, "rel-b1", "B1", Decision.RELEASE)
    assert contexts.verify(registry.store).ok
    store = registry.store
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE behaviour_hold_decisions SET credited_g = 5"))
    report = contexts.verify(store)
    assert [(p.code, p.seq) for p in report.problems] == [("release_mismatch", released.seq)]


def test_a_decision_is_keyed_as_a_journal_write_is(registry: Registry) -> None:
    """One idempotency mechanism: replay, reused key and the key's one use per actor."""
    rejected = review.decide(registry, "registry", "rej", "metro_card", "A2", Decision.REJECT, "x")
    again = review.decide(registry, "registry", "rej", "metro_card", "A2", Decision.REJECT, "x")
    assert (again.replayed, again.decision) == (True, rejected.decision)
    for event_id, reason in (("A2", "other reason"), ("A3", "x")):
        with pytest.raises(IdempotencyConflict) as reused:
            review.decide(
                registry, "registry", "rej", "metro_card", event_id, Decision.REJECT, reason
            )
        assert reused.value.code == "idempotency_key_reused"
    # A key an entry used is used, and the journal refuses a key a decision used.
    with pytest.raises(IdempotencyConflict):
        decide(registry, "open-alice", "A3", Decision.REJECT)
    with pytest.raises(IdempotencyConflict):
        registry.open_account("registry", "rej", c.OpenAccount("carol", Role.INDIVIDUAL, "C"))
    with pytest.raises(ValidationError) as bad:
        decide(registry, "a key", "A3", Decision.REJECT)
    assert bad.value.code == "bad_idempotency_key"
    # A release that credits is keyed by its entry, and replays likewise.
    released = decide(registry, "rel-c1", "A3", Decision.RELEASE)
    assert released.seq is not None and not released.replayed
    assert decide(registry, "rel-c1", "A3", Decision.RELEASE).seq == released.seq
    with pytest.raises(IdempotencyConflict):
        decide(registry, "rel-c1", "A3", Decision.REJECT)


# ---- migration 0008: decisions keyed before the request log existed ----------------------
# Before 0007 a decision that wrote no entry (a rejection, a release the caps left empty)
# kept its key only in ``behaviour_hold_decisions``; the request log was added without a
# backfill, so a retry of such a decision was refused as ``already_decided``. 0008 logs
# them as the code logs them now.
LOGGED = ("actor", "idem_key", "request_hash", "result")


def logged(store: SqlStore) -> list[tuple[Any, ...]]:
    columns = [schema.requests.c[name] for name in LOGGED]
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(*columns)))


def test_decisions_keyed_the_old_way_replay_after_the_backfill(registry: Registry) -> None:
    store = registry.store
    assert isinstance(store, SqlStore)
    credited = decide(registry, "rel-a2", "A2", Decision.RELEASE)
    empty = decide(registry, "rel-a3", "A3", Decision.RELEASE)  # the caps leave no room
    rejected = decide(registry, "rej-b1", "B1", Decision.REJECT)
    assert credited.seq is not None and empty.seq is None
    # The old rules let one key decide several events; the earliest keeps it.
    decide(registry, "rej-c1", "C1", Decision.REJECT)
    want = logged(store)
    assert [r[1] for r in want] == ["rej-b1", "rej-c1", "rel-a3"]  # an entry keys A2
    decisions = sa.table("behaviour_hold_decisions", sa.column("idem_key"))
    with store.engine.begin() as conn:
        conn.execute(schema.requests.delete())
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0007'"))
        conn.execute(
            decisions.update().where(decisions.c.idem_key == "rej-c1").values(idem_key="rej-b1")
        )
    with pytest.raises(Conflict) as before:  # the bug: the key looked unused
        decide(registry, "rej-b1", "B1", Decision.REJECT)
    assert before.value.code == "already_decided"

    migrate_through(store, "0008")
    assert logged(store) == [r for r in want if r[1] != "rej-c1"]
    assert decide(registry, "rej-b1", "B1", Decision.REJECT) == _replayed(rejected)
    assert decide(registry, "rel-a3", "A3", Decision.RELEASE) == _replayed(empty)
    assert decide(registry, "rel-a2", "A2", Decision.RELEASE).seq == credited.seq
    with pytest.raises(IdempotencyConflict):
        decide(registry, "rej-b1", "C1", Decision.REJECT)
    assert contexts.verify(store).ok


def _replayed(report: Any) -> Any:
    return replace(report, replayed=True)


def test_the_review_queue_holds_the_undecided_events_of_every_day(registry: Registry) -> None:
    mee, bob = _party(registry, "mee"), _party(registry, "bob")
    queue = review.undecided_for(mee, registry.store)
    assert [h.event_id for h in queue] == ["A2", "A3", "B1", "C1"]
    review.decide(registry, "mee", "q1", queue[0].partner_id, "B1", Decision.REJECT, "too fast")
    assert [h.event_id for h in review.undecided_for(mee, registry.store)] == ["A2", "A3", "C1"]
    assert len(review.undecided_for(mee, registry.store, limit=1)) == 1
    with pytest.raises(Forbidden):
        review.undecided_for(bob, registry.store)


def _party(registry: Registry, party_id: str) -> Any:
    with registry.store.reader() as uow:
        return uow.party(party_id)
