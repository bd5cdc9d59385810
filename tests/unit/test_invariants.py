"""``Replay`` recomputes everything from the journal and names every breach it sees."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import replace

from journal_support import ALICE, BOB, CREDIT, TS, chain, codes, history, replay

from pctrade.ledger.invariants import Replay, StoredEntry
from pctrade.ledger.journal import EntryHeader, entry_hash, opened_digest
from pctrade.ledger.model import Batch, Denomination, State
from pctrade.ledger.operations import plan_issue, plan_transfer, plan_unfreeze
from pctrade.ledger.postings import Posting, Postings


def test_an_honest_journal_replays_without_problems() -> None:
    r = replay(chain(history()))
    assert r.ok, r.problems
    assert r.balances[(1000, CREDIT, State.AVAILABLE)] == 70
    assert r.balances[(1001, CREDIT, State.AVAILABLE)] == 24
    assert r.balances[(1001, CREDIT, State.FROZEN)] == 6
    assert r.holds == {5: 6}
    assert r.issued == {CREDIT: 100}
    assert (r.entries, r.last_seq) == (6, 6)


def test_a_tampered_payload_is_detected_at_its_entry() -> None:
    entries = chain(history())
    e = entries[3]
    entries[3] = replace(e, header=replace(e.header, payload={**e.header.payload, "quantity": 31}))
    assert codes(replay(entries)) == [("hash_mismatch", 4)]


def test_a_tampered_posting_is_detected_at_its_entry() -> None:
    entries = chain(history())
    e = entries[3]
    deltas = array("q", e.postings.deltas)
    deltas[0], deltas[1] = -29, 29
    tampered = Postings(e.postings.accounts, e.postings.assets, e.postings.states, deltas)
    entries[3] = replace(e, postings=tampered)
    assert ("hash_mismatch", 4) in codes(replay(entries))


def test_a_tampered_opened_account_is_detected() -> None:
    entries = chain(history())
    e = entries[1]
    entries[1] = replace(e, accounts=(replace(e.accounts[0], owner="mallory"), e.accounts[1]))
    assert codes(replay(entries)) == [("hash_mismatch", 2)]


def test_a_broken_link_is_detected() -> None:
    entries = chain(history())
    entries[2] = replace(entries[2], prev_hash="f" * 64)
    found = codes(replay(entries))
    assert ("chain_broken", 3) in found


def test_a_missing_entry_is_a_sequence_gap() -> None:
    entries = chain(history())
    del entries[3]
    found = codes(replay(entries))
    assert ("sequence_gap", 5) in found
    assert ("chain_broken", 5) in found


def test_a_negative_balance_is_detected() -> None:
    plans = history()[:3]
    plans.append(plan_transfer(BOB, ALICE, CREDIT, 1))  # bob holds nothing
    found = codes(replay(chain(plans)))
    assert ("negative_balance", 4) in found


def test_a_duplicate_idempotency_key_is_detected() -> None:
    plans = history()
    keys = ["g", "open", "issue", "t", "t", "u"]
    assert ("duplicate_key", 5) in codes(replay(chain(plans, keys)))


def test_a_balance_table_that_disagrees_is_detected() -> None:
    r0 = replay(chain(history()))
    stored = dict(r0.balances)
    stored[(1000, CREDIT, State.AVAILABLE)] += 1
    r = replay(chain(history()), balances=stored)
    assert [p.code for p in r.problems] == ["balance_mismatch"]
    assert "1000" in r.problems[0].message


def test_a_hold_or_batch_table_that_disagrees_is_detected() -> None:
    r = replay(chain(history()), holds={5: 7}, issued={CREDIT: 99})
    assert sorted(p.code for p in r.problems) == ["batch_mismatch", "hold_mismatch"]


def test_an_unconserved_asset_is_detected() -> None:
    entries = chain(history()[:3])
    bad = Postings.of([Posting(1000, CREDIT, State.AVAILABLE, 5)])  # credits made from nothing
    prev = entries[-1].hash
    header = EntryHeader(4, "transfer", "registry", "k4", "r", TS, {})
    h = entry_hash(prev, header, bad.digest(), opened_digest((), ()))
    entries.append(StoredEntry(header, prev, h, bad))
    found = [p.code for p in replay(entries).problems]
    assert "bad_postings" in found
    assert "not_conserved" in found
    assert "issued_mismatch" in found


def test_unfreezing_beyond_a_hold_is_detected() -> None:
    plans = history()
    plans.append(plan_unfreeze(5, 1001, CREDIT, 100, 7))  # only 6 were left
    assert ("bad_hold", 7) in codes(replay(chain(plans)))


def test_releasing_a_hold_that_never_existed_is_detected() -> None:
    plans = history()
    plans.append(plan_unfreeze(99, 1001, CREDIT, 1, 1))
    assert ("bad_hold", 7) in codes(replay(chain(plans)))


def _personal_issue(evidence_kind: str | None, op_type: str = "issue") -> list[StoredEntry]:
    """The history, then a PCER batch issued by ``op_type`` with that kind of evidence."""
    batch = Batch(2, Denomination.parse("PCER-GD-AFF0007-2026Q3-001"), 50, 0)
    plan = plan_issue(batch, [(1001, 50)])
    payload = dict(plan.payload)
    if evidence_kind is not None:
        payload["evidence"] = {"kind": evidence_kind}
    return chain([*history(), replace(plan, op_type=op_type, payload=payload)])


def _replay_with_paths(entries: Sequence[StoredEntry]) -> Replay:
    r = Replay(credit_paths=frozenset({("issue", "sink_issuance"), ("inclusive_issue", None)}))
    for e in entries:
        r.feed(e)
    return r


def test_a_personal_batch_issued_outside_every_credit_path_is_flagged() -> None:
    assert codes(_replay_with_paths(_personal_issue(None))) == [("personal_credit_off_path", 7)]
    other = _replay_with_paths(_personal_issue("sink_reversal"))
    assert codes(other) == [("personal_credit_off_path", 7)]
    # No path registered at all: no personal batch is legitimate.
    alone = Replay()
    for e in _personal_issue("sink_issuance"):
        alone.feed(e)
    assert codes(alone) == [("personal_credit_off_path", 7)]


def test_a_personal_batch_issued_by_a_registered_path_passes() -> None:
    assert _replay_with_paths(_personal_issue("sink_issuance")).ok
    by_own_op_type = Replay(
        credit_paths=frozenset({("inclusive_issue", None)}),
        batch_op_types=frozenset({"inclusive_issue"}),
    )
    for e in _personal_issue(None, op_type="inclusive_issue"):
        by_own_op_type.feed(e)
    assert by_own_op_type.ok, by_own_op_type.problems
