"""Review of held behaviour events: list them, release or reject each one, once.

A daily run holds suspect events (``behaviour.reasons.Hold``); ``energy.post_day``
keeps them, with what each would earn, in ``behaviour_held``. A reviewer — the
registry operator or the regulator — decides each one:

- **release**: the event is credited as a one-line ``energy_credit`` entry whose
  payload names it (partner, event id, the reviewer's reason) and whose line carries
  its methodology version and factor, so the person's statement traces it. The grams
  are capped against what the person was credited for that family on that day and
  year (``behaviour.review.release_outcome``); when the caps leave no room nothing is
  credited, no entry is written, and the decision says so.
- **reject**: nothing is credited; the decision and its reason are recorded.

A decision is recorded once (``already_decided`` for a second one). It is keyed like
every write (``ledger.write``): a release that credits is its entry's key, a decision
without an entry is logged under its key in the ledger's request log, so the same
request sent again answers the same decision and another one under the key is an
``idempotency_key_reused``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pctrade.energy import commands as c
from pctrade.energy.behaviour.loader import MethodologyError, load_catalogue
from pctrade.energy.behaviour.model import BehaviourType, Event, Methodology
from pctrade.energy.behaviour.quantify import CapOutcome
from pctrade.energy.behaviour.review import Decision, release_outcome
from pctrade.energy.behaviour.validation import base_quantity
from pctrade.energy.entries import release_energy
from pctrade.energy.model import EnergyCredit, EnergyLine, EnergyOp
from pctrade.energy.sql import held as held_store
from pctrade.energy.sql.held import DecisionRow, HeldEvent
from pctrade.kernel.errors import Conflict, Forbidden, NotFound, ValidationError
from pctrade.kernel.limits import DECISION_REASON_LEN_MAX, HELD_PAGE_MAX
from pctrade.kernel.paging import Page, fetch_size, page_of
from pctrade.ledger import access
from pctrade.ledger.invariants import Problem
from pctrade.ledger.journal import Entry, JsonDict, format_ts
from pctrade.ledger.model import Party
from pctrade.ledger.ports import Store, UnitOfWork
from pctrade.ledger.service import AUTHORITIES, Registry, acting_party
from pctrade.ledger.write import (
    Command,
    LoggedWithoutEntry,
    Request,
    RowsBeside,
    check_key,
    replay_of,
)

__all__ = ["Decision", "DecisionReport", "HeldEvent", "audit_releases", "decide", "held"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OUTCOME = {Decision.RELEASE: "released", Decision.REJECT: "rejected"}


@dataclass(frozen=True, slots=True)
class DecisionReport:
    """What a decision did; ``replayed`` when it answers an earlier identical request."""

    partner_id: str
    event_id: str
    decision: str  # released | rejected
    avoided_ug: int
    credited_g: int
    cap_flag: str  # "" when the caps cut nothing
    seq: int | None  # the release's energy_credit entry
    replayed: bool = False


def held(
    store: Store,
    day: date,
    partner_id: str | None = None,
    after: tuple[str, str] = ("", ""),
    limit: int = HELD_PAGE_MAX,
) -> Page[HeldEvent]:
    """A page of a day's held events, decided or not, by (partner id, event id)."""
    n = fetch_size(limit, HELD_PAGE_MAX)
    with store.reader() as uow:
        rows = held_store.held_on(uow, day.isoformat(), partner_id, after, n)
    return page_of(rows, limit, lambda h: (h.partner_id, h.event_id))


def held_for(
    actor: Party,
    store: Store,
    day: date,
    partner_id: str | None = None,
    after: tuple[str, str] = ("", ""),
    limit: int = HELD_PAGE_MAX,
) -> Page[HeldEvent]:
    """``held`` for a caller: only the authorities review held events."""
    if not access.is_authority(actor):
        raise Forbidden(f"{actor.party_id} may not review held events")
    return held(store, day, partner_id, after, limit)


def undecided_for(actor: Party, store: Store, limit: int = HELD_PAGE_MAX) -> list[HeldEvent]:
    """The held events waiting for a decision, oldest day first (the authorities only):
    the reviewer's queue across days."""
    if not access.is_authority(actor):
        raise Forbidden(f"{actor.party_id} may not review held events")
    with store.reader() as uow:
        return held_store.undecided(uow, fetch_size(limit, HELD_PAGE_MAX) - 1)


def decide(
    registry: Registry,
    actor: str,
    key: str,
    partner_id: str,
    event_id: str,
    decision: Decision,
    reason: str,
) -> DecisionReport:
    """Release or reject one held event (authorities only); recorded once."""
    check_key(key)
    reason = reason.strip()
    if not reason or len(reason) > DECISION_REASON_LEN_MAX:
        raise ValidationError(
            f"a decision needs a reason of 1-{DECISION_REASON_LEN_MAX} characters",
            code="bad_reason",
        )
    request = _request(partner_id, event_id, decision, reason)
    with registry.store.reader() as uow:
        _require_reviewer(uow, actor)
        event = _held(uow, partner_id, event_id)
        prior = replay_of(uow, actor, key, request.fingerprint())
    if prior is not None:
        return _replayed(registry, event)
    if event.decision is not None:
        raise Conflict(
            f"event {event.partner_id}/{event.event_id} was {event.decision.decision} already",
            code="already_decided",
        )
    if decision is Decision.REJECT:
        row = DecisionRow("rejected", reason, actor, key, 0, "", None, _now(registry))
        return _record(registry, actor, key, event, request, row)
    return _release(registry, actor, key, event, reason)


def _request(partner_id: str, event_id: str, decision: Decision, reason: str) -> Command:
    """What the key is bound to: a release is the ``energy_credit`` entry's command
    (also when the caps leave nothing to credit and no entry is written)."""
    if decision is Decision.RELEASE:
        return c.ReleaseHeld(partner_id, event_id, reason)
    fields = {"partner_id": partner_id, "event_id": event_id, "reason": reason}
    return Request("reject_held", fields)


def _replayed(registry: Registry, event: HeldEvent) -> DecisionReport:
    """The same request again answers the decision it recorded."""
    with registry.store.reader() as uow:
        stored = _held(uow, event.partner_id, event.event_id)
    if stored.decision is None:  # unreachable: the decision is written with its key
        raise Conflict("request recorded without its decision", code="internal")
    return _report(stored, stored.decision, replayed=True)


def _require_reviewer(uow: UnitOfWork, actor: str) -> None:
    access.require_role(acting_party(uow, actor), AUTHORITIES, "decide on held behaviour events")


def _held(uow: UnitOfWork, partner_id: str, event_id: str) -> HeldEvent:
    event = held_store.held_of(uow, partner_id, event_id)
    if event is None:
        raise NotFound(f"no held event {partner_id}/{event_id}", code="unknown_event")
    return event


def _report(event: HeldEvent, row: DecisionRow, *, replayed: bool = False) -> DecisionReport:
    return DecisionReport(
        event.partner_id,
        event.event_id,
        row.decision,
        event.avoided_ug,
        row.credited_g,
        row.cap_flag,
        row.seq,
        replayed,
    )


def _now(registry: Registry) -> str:
    return format_ts(registry.clock())


def _record(
    registry: Registry,
    actor: str,
    key: str,
    event: HeldEvent,
    request: Command,
    row: DecisionRow,
) -> DecisionReport:
    """A decision without an entry (a rejection, or a release the caps left empty),
    logged under its key (``Journal.execute_recorded``)."""

    def write(uow: UnitOfWork, who: Party) -> JsonDict:
        access.require_role(who, AUTHORITIES, "decide on held behaviour events")
        held_store.decide(uow, event.partner_id, event.event_id, row)
        return {}

    logged = registry.journal.execute_recorded(actor, key, request, write)
    if logged.replayed:
        return _replayed(registry, event)
    return _report(event, row)


class _NoRoom(Exception):
    """Internal: the caps leave nothing to credit; the release is recorded without entry."""

    def __init__(self, outcome: CapOutcome) -> None:
        super().__init__("no room under the caps")
        self.outcome = outcome


def _release(
    registry: Registry, actor: str, key: str, event: HeldEvent, reason: str
) -> DecisionReport:
    outcomes: list[CapOutcome] = []

    def credit(uow: UnitOfWork) -> EnergyCredit:
        line = _release_line(uow, _held(uow, event.partner_id, event.event_id))
        outcomes.append(line[1])
        if line[1].credited_g == 0:
            raise _NoRoom(line[1])
        # The entry's as-of time is the decision's: the release is judged now.
        now_ms = (registry.clock() - _EPOCH) // timedelta(milliseconds=1)
        return EnergyCredit(event.day, (line[0].methodology,), now_ms, [line[0]])

    def remember(uow: UnitOfWork, entry: Entry) -> None:
        seq = entry.seq
        outcome = outcomes[-1]
        row = DecisionRow(
            "released",
            reason,
            actor,
            key,
            outcome.credited_g,
            outcome.cap_flag or "",
            seq,
            _now(registry),
        )
        held_store.decide(uow, event.partner_id, event.event_id, row)

    cmd = c.ReleaseHeld(event.partner_id, event.event_id, reason)
    try:
        receipt = release_energy(registry, actor, key, cmd, credit, evidence=RowsBeside(remember))
    except _NoRoom as empty:
        flag = empty.outcome.cap_flag or ""
        row = DecisionRow("released", reason, actor, key, 0, flag, None, _now(registry))
        return _record(registry, actor, key, event, cmd, row)
    except LoggedWithoutEntry:  # an identical request, at once, found no room
        return _replayed(registry, event)
    with registry.store.reader() as uow:
        stored = _held(uow, event.partner_id, event.event_id)
    if stored.decision is None:  # unreachable: the decision is written with the entry
        raise Conflict("release recorded without its decision", code="internal")
    return _report(stored, stored.decision, replayed=receipt.replayed)


def _release_line(uow: UnitOfWork, event: HeldEvent) -> tuple[EnergyLine, CapOutcome]:
    """The statement line of a released event, capped against earlier credits."""
    if event.decision is not None:
        raise Conflict(
            f"event {event.partner_id}/{event.event_id} was {event.decision.decision} already",
            code="already_decided",
        )
    methodology, behaviour = _methodology(event)
    account_id = uow.individual_accounts([event.person_id]).get(event.person_id)
    if account_id is None:
        raise NotFound(f"{event.person_id} has no individual account", code="unknown_account")
    quantity = base_quantity(_as_event(event), behaviour)
    avoided_ug = quantity * behaviour.avoided_ug_per_unit
    if avoided_ug != event.avoided_ug:
        raise ValidationError("the held amount no longer matches its methodology", code="bad_hold")
    year = event.day[:4]
    day_g = held_store.credited_g(uow, account_id, methodology.family, event.day, event.day)
    year_g = held_store.credited_g(
        uow, account_id, methodology.family, f"{year}-01-01", f"{year}-12-31"
    )
    outcome = release_outcome(
        avoided_ug, methodology.cap_day_g, methodology.cap_year_g, day_g, year_g
    )
    line = EnergyLine(
        day=event.day,
        account_id=account_id,
        person_id=event.person_id,
        family=methodology.family,
        methodology=methodology.key,
        behaviour=behaviour.id,
        base_unit=behaviour.base_unit,
        events_n=1,
        quantity=quantity,
        factor_ug_per_unit=behaviour.avoided_ug_per_unit,
        avoided_ug=avoided_ug,
        cap_forfeit_ug=outcome.cap_forfeit_ug,
        remainder_ug=outcome.remainder_ug,
        credited_g=outcome.credited_g,
        cap_flag=outcome.cap_flag or "",
    )
    return line, outcome


def _methodology(event: HeldEvent) -> tuple[Methodology, BehaviourType]:
    """The methodology version the run held the event under (e.g. ``metro/v1``)."""
    family, _, version = event.methodology.partition("/v")
    try:
        catalogue = load_catalogue({family: int(version)})
        methodology = catalogue.methodology(family)
    except (MethodologyError, KeyError, ValueError) as exc:
        raise ValidationError(f"unknown methodology {event.methodology}", code="bad_hold") from exc
    found = catalogue.find(event.behaviour)
    if found is None or found[0].family != family:
        raise ValidationError(f"unknown behaviour {event.behaviour}", code="bad_hold")
    return methodology, found[1]


def _as_event(event: HeldEvent) -> Event:
    return Event(
        row_no=0,
        partner_id=event.partner_id,
        event_id=event.event_id,
        person_id=event.person_id,
        behaviour=event.behaviour,
        start_ms=event.start_ms,
        end_ms=event.end_ms,
        quantity=event.quantity,
        unit=event.unit,
    )


def audit_releases(uow: UnitOfWork) -> Iterator[Problem]:
    """Each recorded release is the ``energy_credit`` entry it names, for its grams.

    The decisions table lives beside the journal; ``verify`` checks it against the
    entries, whose payload names the released event and is covered by the hash chain.
    """
    for partner_id, event_id, credited, seq in held_store.releases(uow):
        entry = uow.entry(seq)
        payload = {} if entry is None else entry.header.payload
        release = payload.get("release") or {}
        want = (partner_id, event_id, credited)
        got = (release.get("partner_id"), release.get("event_id"), payload.get("credited_g"))
        if entry is None or entry.header.op_type != EnergyOp.CREDIT or got != want:
            yield Problem("release_mismatch", f"release of {partner_id}/{event_id}", seq)
