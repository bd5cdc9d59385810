"""The block-trade desk (大宗协议交易) of one contract: proposals and their answers, pure.

A block trade is bilateral. One side proposes — buy or sell, quantity, price, a named
counterparty, an expiry — and the named counterparty accepts or declines before the
proposal expires; until then the proposer may withdraw it. The national rules allow
block trades of at least 100,000 t, within ±30 % of the previous close, in the afternoon
session (13:00–15:00); the figures are the rule set's (``BlockParams``).

Lifecycle
    A proposal is open from ``Proposed`` until it ends, exactly once: ``agreed``
    (``BlockAgreed``), ``declined``, ``withdrawn`` or ``lapsed`` (``ProposalEnded``).
    It may be accepted while ``at_s < expires_at_s``; from ``expires_at_s`` an answer is
    refused (``proposal_expired``) and the next ``Lapse`` at or after that second ends
    it. An expiry lies after the proposal, at most ``proposal_expiry_max_s`` later, and
    no later than the close of the session it was made in — so a proposal is answered
    on the day, and in the band, it was checked against.

Refusals are checked in this order, and the first that applies is the code:
    Propose  — duplicate_proposal_id, proposal_to_self, quantity_not_positive,
               quantity_off_lot, block_below_threshold, price_not_positive,
               price_off_tick, block_price_outside_band, block_session_closed,
               expiry_not_after_now, expiry_too_late
    Accept   — proposal_not_found, not_your_proposal, proposal_not_open,
               proposal_expired, block_session_closed
    Decline  — proposal_not_found, not_your_proposal, proposal_not_open, proposal_expired
    Withdraw — proposal_not_found, not_proposer, proposal_not_open, proposal_expired
A refused command changes nothing.

The desk keeps every proposal of its life (block trades are few: a day's fit in
memory); ``proposals()`` is what the registry keeps and ``BlockDesk(params,
proposals=...)`` puts a desk back from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pctrade.kernel.errors import IntegrityError
from pctrade.market.block.codes import BlockRefusal
from pctrade.market.block.messages import (
    Accept,
    BlockAgreed,
    BlockCommand,
    BlockEvent,
    Decline,
    Hold,
    Lapse,
    Outcome,
    Proposal,
    ProposalEnded,
    Propose,
    Proposed,
    Rejected,
    Withdraw,
)
from pctrade.market.block.params import BlockParams
from pctrade.market.engine import Side

R = BlockRefusal


class BlockDesk:
    """The block trades of one contract. Drive it with ``apply``."""

    def __init__(self, params: BlockParams, *, proposals: Iterable[Proposal] = ()) -> None:
        self._proposals: dict[int, Proposal] = {}
        for p in proposals:
            if p.proposal_id in self._proposals:
                raise IntegrityError(f"proposal {p.proposal_id} twice", code="block_rebuild")
            self._proposals[p.proposal_id] = p
        self._handlers: dict[type, Callable[[Any], list[BlockEvent]]] = {
            Propose: self.propose,
            Accept: self.accept,
            Decline: self.decline,
            Withdraw: self.withdraw,
            Lapse: self.lapse,
        }
        self.set_params(params)

    @property
    def params(self) -> BlockParams:
        return self._params

    def set_params(self, params: BlockParams) -> None:
        """A new day's numbers (its reference price): they apply to proposals from now on."""
        self._params = params
        self._low, self._high = params.band()

    def apply(self, command: BlockCommand) -> list[BlockEvent]:
        return self._handlers[type(command)](command)

    # ---- commands --------------------------------------------------------------------

    def propose(self, c: Propose) -> list[BlockEvent]:
        refusal = self._refuse_proposal(c)
        if refusal is not None:
            return [Rejected(c.proposal_id, c.proposer, refusal, c.at_s)]
        hold = self._hold(c.proposer, c.side, c.price_fen_per_t, c.quantity_g)
        self._proposals[c.proposal_id] = Proposal(
            c.proposal_id,
            c.proposer,
            c.counterparty,
            c.side,
            c.quantity_g,
            c.price_fen_per_t,
            c.expires_at_s,
            c.at_s,
            hold,
            None,
        )
        return [
            Proposed(
                c.proposal_id,
                c.proposer,
                c.counterparty,
                c.side,
                c.quantity_g,
                c.price_fen_per_t,
                c.expires_at_s,
                c.at_s,
                hold,
            )
        ]

    def accept(self, c: Accept) -> list[BlockEvent]:
        refusal = self._refuse_answer(c.proposal_id, c.party, c.at_s, R.NOT_YOUR_PROPOSAL)
        if refusal is None and self._params.session_close_s(c.at_s) is None:
            refusal = R.BLOCK_SESSION_CLOSED
        if refusal is not None:
            return [Rejected(c.proposal_id, c.party, refusal, c.at_s)]
        p = self._end(c.proposal_id, Outcome.AGREED)
        opposite = Side.SELL if p.side == Side.BUY else Side.BUY
        cash_fen = self._params.cash_fen(p.price_fen_per_t, p.quantity_g)
        return [
            BlockAgreed(
                p.proposal_id,
                p.buyer,
                p.seller,
                p.quantity_g,
                p.price_fen_per_t,
                cash_fen,
                self._params.fee_fen(cash_fen),
                c.at_s,
                self._hold(c.party, opposite, p.price_fen_per_t, p.quantity_g),
                p.hold,
            )
        ]

    def decline(self, c: Decline) -> list[BlockEvent]:
        refusal = self._refuse_answer(c.proposal_id, c.party, c.at_s, R.NOT_YOUR_PROPOSAL)
        if refusal is not None:
            return [Rejected(c.proposal_id, c.party, refusal, c.at_s)]
        return [self._ended(c.proposal_id, Outcome.DECLINED, c.at_s)]

    def withdraw(self, c: Withdraw) -> list[BlockEvent]:
        refusal = self._refuse_answer(c.proposal_id, c.party, c.at_s, R.NOT_PROPOSER)
        if refusal is not None:
            return [Rejected(c.proposal_id, c.party, refusal, c.at_s)]
        return [self._ended(c.proposal_id, Outcome.WITHDRAWN, c.at_s)]

    def lapse(self, c: Lapse) -> list[BlockEvent]:
        due = [
            p.proposal_id
            for p in self._proposals.values()
            if p.outcome is None and p.expires_at_s <= c.at_s
        ]
        return [self._ended(i, Outcome.LAPSED, c.at_s) for i in sorted(due)]

    # ---- state -----------------------------------------------------------------------

    def proposal(self, proposal_id: int) -> Proposal | None:
        return self._proposals.get(proposal_id)

    def proposals(self) -> tuple[Proposal, ...]:
        """Every proposal the desk knows, open or ended, by id."""
        return tuple(self._proposals[i] for i in sorted(self._proposals))

    def open_proposals(self) -> tuple[Proposal, ...]:
        return tuple(p for p in self.proposals() if p.outcome is None)

    # ---- inside ----------------------------------------------------------------------

    def _refuse_proposal(self, c: Propose) -> BlockRefusal | None:
        params = self._params
        close_s = params.session_close_s(c.at_s)
        checks = (
            (c.proposal_id in self._proposals, R.DUPLICATE_PROPOSAL_ID),
            (c.proposer == c.counterparty, R.PROPOSAL_TO_SELF),
            (c.quantity_g <= 0, R.QUANTITY_NOT_POSITIVE),
            (c.quantity_g % params.quantity_step_g != 0, R.QUANTITY_OFF_LOT),
            (c.quantity_g < params.block_quantity_min_g, R.BLOCK_BELOW_THRESHOLD),
            (c.price_fen_per_t <= 0, R.PRICE_NOT_POSITIVE),
            (c.price_fen_per_t % params.price_step_fen_per_t != 0, R.PRICE_OFF_TICK),
            (not self._low <= c.price_fen_per_t <= self._high, R.BLOCK_PRICE_OUTSIDE_BAND),
            (close_s is None, R.BLOCK_SESSION_CLOSED),
            (c.expires_at_s <= c.at_s, R.EXPIRY_NOT_AFTER_NOW),
        )
        for failed, code in checks:
            if failed:
                return code
        latest_s = min(close_s or c.at_s, c.at_s + params.proposal_expiry_max_s)
        return R.EXPIRY_TOO_LATE if c.expires_at_s > latest_s else None

    def _refuse_answer(
        self, proposal_id: int, party: str, at_s: int, not_party: BlockRefusal
    ) -> BlockRefusal | None:
        p = self._proposals.get(proposal_id)
        if p is None:
            return R.PROPOSAL_NOT_FOUND
        answering = p.proposer if not_party == R.NOT_PROPOSER else p.counterparty
        if party != answering:
            return not_party
        if p.outcome is not None:
            return R.PROPOSAL_NOT_OPEN
        if at_s >= p.expires_at_s:
            return R.PROPOSAL_EXPIRED
        return None

    def _end(self, proposal_id: int, outcome: Outcome) -> Proposal:
        p = self._proposals[proposal_id]
        self._proposals[proposal_id] = p._replace(outcome=outcome)
        return p

    def _ended(self, proposal_id: int, outcome: Outcome, at_s: int) -> ProposalEnded:
        p = self._end(proposal_id, outcome)
        return ProposalEnded(p.proposal_id, p.proposer, p.counterparty, outcome, at_s, p.hold)

    def _hold(self, party: str, side: Side, price_fen_per_t: int, quantity_g: int) -> Hold:
        if side == Side.SELL:
            return Hold(party, 0, quantity_g)
        cash_fen = self._params.cash_fen(price_fen_per_t, quantity_g)
        return Hold(party, cash_fen + self._params.fee_fen(cash_fen), 0)
