"""A stateful test of the proposal lifecycle: every proposal ends exactly once.

Random proposals (good and bad), accepts, declines and withdrawals by random parties,
lapses and the clock moving through and past the afternoon session. A ledger kept from
the events alone must agree with the desk after every step: each proposal has at most
one ending event (agreed, declined, withdrawn or lapsed) and is open exactly while it has
none; what is held for open proposals is what their Proposed events froze less what their
endings released or settled; a refused command changes nothing. At the end a Lapse past
every expiry leaves no proposal open, so each ended exactly once.
"""

from __future__ import annotations

from collections import Counter

from block_support import AT_1300, AT_1500, PARAMS, T
from hypothesis import event as note_event
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hypothesis_budget import examples
from pctrade.market.block import (
    Accept,
    BlockAgreed,
    BlockCommand,
    BlockDesk,
    BlockEvent,
    Decline,
    Hold,
    Lapse,
    Outcome,
    ProposalEnded,
    Propose,
    Proposed,
    Rejected,
    Withdraw,
)
from pctrade.market.engine import Side

PARTIES = ("a", "b", "c")
THRESHOLD_T = 100_000
RIGHTFUL = "the party who may answer"  # drawn often, so that answers are mostly valid


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.desk = BlockDesk(PARAMS)
        self.now_s = AT_1300 - 120
        self.next_id = 1
        self.endings: Counter[int] = Counter()
        self.outcome: dict[int, Outcome] = {}
        self.frozen: dict[int, Hold] = {}  # proposal id → the hold its Proposed froze

    def _apply(self, command: BlockCommand) -> list[BlockEvent]:
        before = self.desk.proposals()
        events = self.desk.apply(command)
        for event in events:
            if isinstance(event, Rejected):
                assert len(events) == 1 and self.desk.proposals() == before
            elif isinstance(event, Proposed):
                assert event.proposal_id not in self.frozen
                self.frozen[event.proposal_id] = event.hold
            elif isinstance(event, BlockAgreed):
                self._ended(event.proposal_id, Outcome.AGREED)
                assert event.proposer_hold == self.frozen[event.proposal_id]
                buyer_hold = (
                    event.acceptor_hold if event.acceptor_hold.cash_fen else event.proposer_hold
                )
                seller_hold = (
                    event.proposer_hold
                    if buyer_hold is event.acceptor_hold
                    else event.acceptor_hold
                )
                assert (buyer_hold.party, seller_hold.party) == (event.buyer, event.seller)
                assert buyer_hold.cash_fen == event.cash_fen + event.fee_fen
                assert seller_hold.credits_g == event.quantity_g
                assert event.cash_fen * 1_000_000 == event.price_fen_per_t * event.quantity_g
            else:
                assert isinstance(event, ProposalEnded)
                self._ended(event.proposal_id, event.outcome)
                assert event.release == self.frozen[event.proposal_id]
        return events

    def _ended(self, proposal_id: int, outcome: Outcome) -> None:
        self.endings[proposal_id] += 1
        note_event(f"ended {outcome}")
        self.outcome[proposal_id] = outcome

    @rule(
        proposer=st.sampled_from(PARTIES),
        counterparty=st.sampled_from(PARTIES),
        side=st.sampled_from(Side),
        tonnes=st.integers(THRESHOLD_T - 2, THRESHOLD_T + 3),
        price=st.integers(4_190, 7_810),
        lasts_s=st.integers(-5, 7_300),
        reuse=st.booleans(),
    )
    def propose(
        self,
        proposer: str,
        counterparty: str,
        side: Side,
        tonnes: int,
        price: int,
        lasts_s: int,
        reuse: bool,
    ) -> None:
        pid = self.next_id - 1 if reuse and self.next_id > 1 else self.next_id
        self.next_id += pid == self.next_id
        cmd = Propose(
            pid, proposer, counterparty, side, tonnes * T, price, self.now_s + lasts_s, self.now_s
        )
        ok = (
            pid not in self.frozen
            and proposer != counterparty
            and tonnes >= THRESHOLD_T
            and 4_200 <= price <= 7_800
            and AT_1300 <= self.now_s < AT_1500
            and 0 < lasts_s <= min(7_200, AT_1500 - self.now_s)
        )
        [event] = self._apply(cmd)
        assert isinstance(event, Proposed) == ok, (cmd, event)

    @precondition(lambda self: self.next_id > 1)
    @rule(
        data=st.data(),
        kind=st.sampled_from((Accept, Decline, Withdraw)),
        party=st.sampled_from(PARTIES),
    )
    def answer(self, data: st.DataObject, kind: type[Accept], party: str) -> None:
        pid = data.draw(st.integers(1, self.next_id))
        p = self.desk.proposal(pid)
        [event] = self._apply(kind(pid, party, self.now_s))
        if p is None or p.outcome is not None or self.now_s >= p.expires_at_s:
            assert isinstance(event, Rejected)
            return
        rightful = p.proposer if kind is Withdraw else p.counterparty
        in_session = AT_1300 <= self.now_s < AT_1500 or kind is not Accept
        assert isinstance(event, Rejected) == (party != rightful or not in_session)

    @rule(step_s=st.integers(0, 900))
    def tick(self, step_s: int) -> None:
        self.now_s += step_s
        due = {p.proposal_id for p in self.desk.open_proposals() if p.expires_at_s <= self.now_s}
        events = self._apply(Lapse(self.now_s))
        assert {e.proposal_id for e in events} == due  # type: ignore[union-attr]
        assert all(isinstance(e, ProposalEnded) and e.outcome == Outcome.LAPSED for e in events)

    @invariant()
    def each_proposal_ends_at_most_once_and_is_open_exactly_until_then(self) -> None:
        assert all(n == 1 for n in self.endings.values())
        for p in self.desk.proposals():
            assert p.outcome == self.outcome.get(p.proposal_id)
        assert set(self.frozen) == {p.proposal_id for p in self.desk.proposals()}

    @invariant()
    def what_is_held_is_what_the_open_proposals_froze(self) -> None:
        held = {i: h for i, h in self.frozen.items() if i not in self.endings}
        assert held == {p.proposal_id: p.hold for p in self.desk.open_proposals()}

    def teardown(self) -> None:
        self._apply(Lapse(self.now_s + 10 * 7_200))
        assert self.desk.open_proposals() == ()
        assert set(self.endings) == set(self.frozen)
        assert all(n == 1 for n in self.endings.values())


LifecycleMachine.TestCase.settings = settings(
    max_examples=examples(ci=50, thorough=150), stateful_step_count=40, deadline=None
)
test_the_proposal_lifecycle = LifecycleMachine.TestCase
