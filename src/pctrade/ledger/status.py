"""Account status: what blocking, suspending or closing an account stops, and for whom.

As the EU and UK registries do, the registry operator or a regulator puts an account in
one of four states (``model.AccountStatus``), each change one ``account_status`` entry
in the journal with its reason:

    open ⇄ blocked ⇄ suspended ⇄ open        (any of these, either way)
    open | blocked | suspended → closed       (final; only with zero holdings)

- **blocked**: nothing leaves the account at its holder's word (nor its agent's): no
  transfer or payout from it, withdrawal, retirement, surrender or energy spending, and
  no hold opened on it (an order or a pledge is the first step of sending). It still
  receives, and a hold on it may still be released back to it.
- **suspended**: as blocked, and nothing enters it at a holder's word either (a
  transfer, payout or settlement to it).
- **closed**: reached only when the account holds nothing available or frozen, of any
  asset (what it retired, surrendered or had cancelled stays on record), and final:
  nothing is ever posted to it again, whoever asks. An account number is not reused; a
  returning holder gets a new account.

**The authorities act through blocks and suspensions.** An entry made by the registry
operator or a regulator is not limited by them: regulator freezes and their release,
cancellation, correction, cash confirmation, issuance, crediting and expiring green
energy, sink and carbon-inclusive issuance. They are how an authority deals with such
an account, and one suspended person must not stop an issuance to a million others.
Only a closed account refuses them.

**One rule for every context, on the one write path.** ``Journal.execute`` checks every
entry's postings against the statuses of the accounts they touch (``ledger.write``), so
energy, sinks, carbon-inclusive issuance and whatever comes next (market, pools) are
covered without remembering to. An entry is judged per account from its postings alone,
so the write path and ``verify``'s replay judge it the same way: per asset, the net
change of the account's movable holdings (available + frozen) and of its frozen ones:

- it **sends** when a movable holding goes down, or a frozen one up (a hold opened);
- it **receives** when a movable holding goes up and nothing is sent;
- otherwise it only **touches** the account (a hold released back to available).

Each gives the most restrictive status the account may have for the entry (its
*limit*): a holder's entry that sends needs ``open``; one that receives, ``blocked`` at
most; one that touches, ``suspended`` at most; an authority's entry, ``suspended`` at
most. An account beyond its limit refuses the whole entry with its own code:
``account_blocked``, ``account_suspended`` or ``account_closed`` (HTTP 409).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.ledger.journal import JsonDict, PartyRow, party_row
from pctrade.ledger.model import (
    FIRST_HOLDER_ACCOUNT,
    Account,
    AccountId,
    AccountStatus,
    AssetId,
    HolderType,
    Party,
    PartyId,
    Role,
    Seq,
    State,
)
from pctrade.ledger.operations import OpType, Plan, StatusChange, checked_text
from pctrade.ledger.postings import BalanceKey, Postings

OPEN, BLOCKED, SUSPENDED, CLOSED = (
    AccountStatus.OPEN,
    AccountStatus.BLOCKED,
    AccountStatus.SUSPENDED,
    AccountStatus.CLOSED,
)

# Where each status may go next: closing is final, the others may go anywhere.
TRANSITIONS: Mapping[AccountStatus, frozenset[AccountStatus]] = {
    OPEN: frozenset({BLOCKED, SUSPENDED, CLOSED}),
    BLOCKED: frozenset({OPEN, SUSPENDED, CLOSED}),
    SUSPENDED: frozenset({OPEN, BLOCKED, CLOSED}),
    CLOSED: frozenset(),
}

REFUSAL_CODES: Mapping[AccountStatus, str] = {
    BLOCKED: "account_blocked",
    SUSPENDED: "account_suspended",
    CLOSED: "account_closed",
}
_WHAT_IT_STOPS: Mapping[AccountStatus, str] = {
    BLOCKED: "nothing leaves it at its holder's word",
    SUSPENDED: "nothing leaves or enters it at a holder's word",
    CLOSED: "nothing is posted to it again",
}
# Holdings that must be zero before an account closes; terminal states stay on record.
# Uncollected green energy counts: it is collected or lapses later, and nothing may post
# to a closed account (an expiry run would be refused whole).
MOVABLE_STATES = frozenset({State.AVAILABLE, State.FROZEN, State.UNCOLLECTED})
_AUTHORITY_ROLES = frozenset({str(Role.REGULATOR), str(Role.REGISTRY_OPERATOR)})
ACCOUNTS_NAMED_MAX = 5


def parse_status(label: str) -> AccountStatus:
    """A status from its label (``open``, ``blocked``, ``suspended``, ``closed``)."""
    try:
        return AccountStatus.of_label(label)
    except KeyError as exc:
        known = ", ".join(s.label for s in AccountStatus)
        raise ValidationError(
            f"unknown account status {label!r} (use {known})", code="bad_enum"
        ) from exc


@dataclass(frozen=True, slots=True)
class Standing:
    """An account's status now, with the reason and entry of its last change."""

    status: AccountStatus = OPEN
    reason: str = ""
    seq: Seq | None = None  # None: never changed since the account was opened


# ---- the rule: what an entry needs of each account's status ---------------------------


def limits(
    postings: Postings, by_authority: bool, only: Collection[AccountId] | None = None
) -> dict[AccountId, AccountStatus]:
    """The most restrictive status each holder account the postings touch may have.

    ``only``: judge just these accounts (the few not open, among a bulk entry's million).
    System accounts (the issuance, the buffer, …) have no status and are left out.
    """
    movable: dict[tuple[AccountId, AssetId], int] = {}
    frozen: dict[tuple[AccountId, AssetId], int] = {}
    touched: set[AccountId] = set()
    for a, s, st, d in zip(
        postings.accounts, postings.assets, postings.states, postings.deltas, strict=True
    ):
        if a < FIRST_HOLDER_ACCOUNT or (only is not None and a not in only):
            continue
        touched.add(a)
        if st in MOVABLE_STATES:
            movable[a, s] = movable.get((a, s), 0) + d
        if st == State.FROZEN:
            frozen[a, s] = frozen.get((a, s), 0) + d
    if by_authority:
        return dict.fromkeys(touched, SUSPENDED)
    sends = {a for (a, _), d in movable.items() if d < 0}
    sends.update(a for (a, _), d in frozen.items() if d > 0)
    receives = {a for (a, _), d in movable.items() if d > 0}
    return {a: OPEN if a in sends else BLOCKED if a in receives else SUSPENDED for a in touched}


def refusal(
    account_limits: Mapping[AccountId, AccountStatus],
    statuses: Mapping[AccountId, AccountStatus],
) -> Conflict | None:
    """The refusal of an entry whose accounts' ``statuses`` exceed their limits, if any.

    Several accounts may be at fault: the most restrictive status among them names the
    code, and the message names its accounts.
    """
    beyond = {
        a: statuses[a] for a, limit in account_limits.items() if statuses.get(a, OPEN) > limit
    }
    if not beyond:
        return None
    worst = max(beyond.values())
    ids = sorted(a for a, s in beyond.items() if s == worst)
    named = ", ".join(map(str, ids[:ACCOUNTS_NAMED_MAX]))
    more = f" and {len(ids) - ACCOUNTS_NAMED_MAX} more" if len(ids) > ACCOUNTS_NAMED_MAX else ""
    which = f"account {named}" if len(ids) == 1 else f"accounts {named}{more}"
    return Conflict(
        f"{which} {'is' if len(ids) == 1 else 'are'} {worst.label}: {_WHAT_IT_STOPS[worst]}",
        code=REFUSAL_CODES[worst],
    )


# ---- a change of status ---------------------------------------------------------------


def plan_status(
    account: Account,
    current: AccountStatus,
    target: AccountStatus,
    reason: str,
    holdings: Iterable[tuple[AssetId, State, int]] = (),
) -> Plan:
    """Change ``account``'s status from ``current`` to ``target``, for ``reason``.

    ``holdings``: the account's non-zero balances, read when closing it.
    """
    if account.holder_type == HolderType.SYSTEM:
        raise ValidationError(
            f"system account {account.number} has no status to change", code="bad_account"
        )
    reason = checked_text(reason, "reason")
    if current == CLOSED:
        raise Conflict(f"account {account.number} is closed, for good", code="account_closed")
    if target == current:
        raise Conflict(
            f"account {account.number} is {current.label} already", code="status_unchanged"
        )
    if target == CLOSED:
        left = [(a, s) for a, s, n in holdings if s in MOVABLE_STATES and n != 0]
        if left:
            sample = ", ".join(f"asset {a} {State(s).label}" for a, s in left[:ACCOUNTS_NAMED_MAX])
            raise Conflict(
                f"account {account.number} still holds {sample}: empty it before closing",
                code="account_not_empty",
            )
    payload: JsonDict = {
        "account": account.account_id,
        "status": target.label,
        "previous": current.label,
        "reason": reason,
    }
    change = StatusChange(account.account_id, target, reason)
    return Plan(OpType.ACCOUNT_STATUS, payload, status=change)


# ---- replay: ``verify`` judges every entry by the same rule ----------------------------


@dataclass(slots=True)
class StatusReplay:
    """Account statuses as the journal alone makes them, and the entries that broke them.

    Fed every entry in order by ``invariants.Replay``; its problems are
    ``(code, message)`` pairs that the replay flags with the entry's seq.
    """

    statuses: dict[AccountId, AccountStatus]  # the accounts not open
    authorities: set[PartyId]

    def __init__(self) -> None:
        self.statuses = {}
        self.authorities = set()

    def feed(
        self,
        op_type: str,
        actor: PartyId,
        payload: JsonDict,
        postings: Postings,
        parties: Iterable[Party | PartyRow],
    ) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if self.statuses and len(postings):
            touched = self.statuses.keys() & set(postings.accounts)
            if touched:
                found = refusal(
                    limits(postings, actor in self.authorities, only=touched), self.statuses
                )
                if found is not None:
                    problems.append(("status_breached", found.message))
        self.authorities.update(
            pid for pid, role, _ in map(party_row, parties) if role in _AUTHORITY_ROLES
        )
        if op_type == OpType.ACCOUNT_STATUS:
            problems.extend(self._change(payload))
        return problems

    def _change(self, payload: JsonDict) -> list[tuple[str, str]]:
        try:
            account = int(payload["account"])
            target = AccountStatus.of_label(str(payload["status"]))
            previous = AccountStatus.of_label(str(payload["previous"]))
        except (KeyError, TypeError, ValueError) as exc:
            return [("bad_status_entry", f"malformed account status entry: {exc!r}")]
        current = self.statuses.get(account, OPEN)
        problems = []
        if previous != current or target not in TRANSITIONS[current]:
            problems.append(
                (
                    "bad_status_transition",
                    f"account {account}: {previous.label} → {target.label} recorded,"
                    f" but it was {current.label}",
                )
            )
        if target == OPEN:
            self.statuses.pop(account, None)
        else:
            self.statuses[account] = target
        return problems

    def finish(self, balances: Mapping[BalanceKey, int]) -> list[tuple[str, str]]:
        """A closed account holds nothing movable: as nothing may post to it after its
        closing, it held nothing then either."""
        closed = {a for a, s in self.statuses.items() if s == CLOSED}
        if not closed:
            return []
        return [
            ("closed_not_empty", f"closed account {a} holds {n} of asset {s} {State(st).label}")
            for (a, s, st), n in balances.items()
            if a in closed and st in MOVABLE_STATES and n != 0
        ]

    def restricted(self) -> dict[AccountId, int]:
        """Every account not open, as the stored table keeps it (status as its number)."""
        return {a: int(s) for a, s in self.statuses.items()}
