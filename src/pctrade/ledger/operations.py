"""Registry operations as pure plans: what an operation will record, before any I/O.

Each ``plan_*`` function takes entities already read from the store and returns a
``Plan``: the entry's type and payload, its postings and any rows it opens. The
application service checks access, hands the plan to the unit of work, and the unit of
work appends it to the journal and applies it in one transaction.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pctrade.kernel.entropy import TOKEN_RE
from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.limits import (
    NAME_LEN_MAX,
    PARTY_ID_LEN_MAX,
    REASON_LEN_MAX,
    REFERENCE_LEN_MAX,
)
from pctrade.kernel.units import require_positive
from pctrade.ledger.journal import EntryHeader, JsonDict
from pctrade.ledger.model import (
    CASH_ASSET,
    ENERGY_ASSET,
    HOLDER_TYPE_OF_ROLE,
    Account,
    AccountId,
    AccountStatus,
    AssetId,
    Batch,
    HolderType,
    Party,
    Role,
    Seq,
    State,
    SystemAccount,
)
from pctrade.ledger.packed import unpack
from pctrade.ledger.postings import Posting, Postings, check_postings

BULK_RECIPIENTS_MAX = 50_000_000


class OpType(StrEnum):
    GENESIS = "genesis"
    OPEN_ACCOUNT = "open_account"
    AUTHORIZE = "authorize"
    ISSUE = "issue"
    TRANSFER = "transfer"
    # One payer, many recipients of the same asset: a pool's payout, a platform's rewards.
    DISTRIBUTE = "distribute"
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    SURRENDER = "surrender"
    RETIRE = "retire"
    CANCEL = "cancel"
    DEPOSIT = "deposit"
    WITHDRAW = "withdraw"
    CORRECT = "correct"
    # An authority blocks, suspends, closes or reopens an account (``ledger.status``).
    ACCOUNT_STATUS = "account_status"


class FreezeReason(StrEnum):
    ORDER = "order"
    POOL = "pool"
    PLEDGE = "pledge"
    REGULATOR = "regulator"


# Only these may be reversed by a correction: terminal operations never are, and a
# freeze is undone by its own unfreeze.
CORRECTABLE = frozenset({OpType.TRANSFER, OpType.DEPOSIT, OpType.WITHDRAW})

EMPTY_POSTINGS = Postings(array("q"), array("q"), array("q"), array("q"))


@dataclass(frozen=True, slots=True)
class HoldChange:
    """Opens a hold (``hold_id`` None: the entry's own seq; ``delta`` > 0), or consumes
    or releases part of one (``delta`` < 0: what leaves it, whatever the postings do
    with it: back to ``available``, or on to a counterparty in a settlement)."""

    hold_id: Seq | None
    account_id: AccountId
    asset_id: AssetId
    delta: int
    reason: str = ""
    reference: str = ""


def holds_payload(changes: Sequence[HoldChange]) -> list[JsonDict]:
    """The hold changes as an entry other than a freeze or unfreeze records them.

    ``verify`` replays holds from the journal alone, so an entry that changes holds
    says which, under ``"holds"`` in its hashed payload (a freeze and an unfreeze keep
    their own payloads, which say the same in their words).
    """
    return [
        {"hold_id": h.hold_id, "account": h.account_id, "asset_id": h.asset_id, "delta": h.delta}
        for h in changes
    ]


# An entry that draws down very many holds (a pool sale to millions of contributors)
# records those draw-downs as packed columns (``ledger.packed``) under this key of its
# payload, beside any it lists under ``"holds"``: columns ``hold_id``, ``account``,
# ``asset_id`` and ``delta`` (each < 0), hold ids strictly ascending. The store writes
# them set-based and replay reads them back as it reads ``"holds"``.
HOLDS_PACKED = "holds_packed"
PACKED_HOLD_COLUMNS = ("hold_id", "account", "asset_id", "delta")


def hold_changes(header: EntryHeader) -> list[tuple[Seq, int]]:
    """The holds an entry changed, read back from its payload: (hold id, delta) each.

    The inverse of what the planners record: a freeze opens the hold numbered by its
    seq, an unfreeze draws its ``quantity`` down, any other entry lists its changes
    under ``"holds"`` (``holds_payload``; an opened one has no id yet: its seq).
    """
    p = header.payload
    if header.op_type == OpType.FREEZE:
        return [(header.seq, int(p["quantity"]))]
    if header.op_type == OpType.UNFREEZE:
        return [(int(p["hold_id"]), -int(p["quantity"]))]
    listed = [
        (header.seq if h["hold_id"] is None else int(h["hold_id"]), int(h["delta"]))
        for h in p.get("holds", ())
    ]
    if HOLDS_PACKED in p:
        drawn = unpack(p[HOLDS_PACKED], ("hold_id", "delta"))
        listed.extend(zip(drawn["hold_id"], drawn["delta"], strict=True))
    return listed


def _check_holds(op_type: str, payload: JsonDict, holds: Sequence[HoldChange]) -> None:
    opened = [h for h in holds if h.hold_id is None]
    # An opened hold is numbered by its entry's seq, so an entry opens at most one.
    if len(opened) > 1:
        raise ValidationError("an entry opens at most one hold", code="bad_request")
    if any((h.delta > 0) != (h.hold_id is None) or h.delta == 0 for h in holds):
        raise ValidationError(
            "a hold is opened with a positive amount and drawn down by a negative one",
            code="bad_request",
        )
    released = [h.hold_id for h in holds if h.hold_id is not None]
    if len(set(released)) != len(released):
        raise ValidationError("a hold is changed twice in one entry", code="bad_request")
    recorded = op_type in (OpType.FREEZE, OpType.UNFREEZE) or (
        payload.get("holds") == holds_payload(holds)
    )
    if holds and not recorded:
        raise ValidationError(
            "an entry that changes holds records them in its payload", code="bad_request"
        )
    packed = payload.get(HOLDS_PACKED)
    if packed is not None and not (
        isinstance(packed, dict) and set(packed.get("columns", ())) == set(PACKED_HOLD_COLUMNS)
    ):
        # The rows themselves are checked where they are decoded: by the store as it
        # writes them (numpy), by replay as it reads them.
        raise ValidationError(
            f"packed hold draws have the columns {PACKED_HOLD_COLUMNS}", code="bad_request"
        )


@dataclass(frozen=True, slots=True)
class Grant:
    account_id: AccountId
    agent: str
    active: bool


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An account's new status, with the reason the journal records for it."""

    account_id: AccountId
    status: AccountStatus
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    # An ``OpType`` for the ledger's own, or the name a context registered with the
    # ledger (``ledger.extensions.OperationType``): the journal records the string.
    op_type: str
    payload: JsonDict
    postings: Postings = EMPTY_POSTINGS
    parties: tuple[Party, ...] = ()
    accounts: tuple[Account, ...] = ()
    batch: Batch | None = None
    # Any number of hold changes: a freeze opens one, a settlement may draw down two.
    holds: tuple[HoldChange, ...] = ()
    grant: Grant | None = None
    corrects: Seq | None = None
    status: StatusChange | None = None
    extra: JsonDict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_postings(self.postings)
        _check_holds(self.op_type, self.payload, self.holds)

    @property
    def hold(self) -> HoldChange | None:
        """The one hold change of a plan with at most one (a freeze, an unfreeze)."""
        if len(self.holds) > 1:
            raise ValueError("this plan changes several holds: read ``holds``")
        return self.holds[0] if self.holds else None


def checked_text(value: str, what: str, limit: int = REASON_LEN_MAX, required: bool = True) -> str:
    """A free-text field as an entry records it: stripped, required unless told, bounded.

    Contexts' planners use it too, so every payload's text obeys one rule.
    """
    value = value.strip()
    if required and not value:
        raise ValidationError(f"{what} is required", code="missing_field")
    if len(value) > limit:
        raise ValidationError(f"{what} is longer than {limit} characters", code="too_long")
    return value


# A methodology's name as registries print it: CCER-14-001-V01, AR-ACM0003, VM0047.
METHODOLOGY_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def check_methodology(value: str) -> str:
    """A batch's stated methodology, or ``bad_methodology``."""
    if not isinstance(value, str) or METHODOLOGY_RE.fullmatch(value) is None:
        raise ValidationError(f"not a methodology's name: {value!r}", code="bad_methodology")
    return value


_PARTY_RE = re.compile(rf"^[A-Za-z0-9_.:@-]{{1,{PARTY_ID_LEN_MAX}}}$")


def check_party_id(party_id: str) -> str:
    if not _PARTY_RE.match(party_id):
        raise ValidationError(
            f"party id {party_id!r} must be 1-{PARTY_ID_LEN_MAX} letters, digits or _.:@-",
            code="bad_party",
        )
    return party_id


def plan_open_accounts(
    parties: Sequence[Party], first_account_id: AccountId, label: str = ""
) -> Plan:
    """Register parties and open one account for each that holds units."""
    if not parties:
        raise ValidationError("nothing to open", code="missing_field")
    label = checked_text(label, "label", NAME_LEN_MAX, required=False)
    accounts = []
    checked = []
    next_id = first_account_id
    for party in parties:
        check_party_id(party.party_id)
        # Record the checked name: a column of 200 characters would silently drop
        # trailing spaces on PostgreSQL and break the entry's hash.
        party = Party(
            party.party_id, party.role, checked_text(party.name, "name", NAME_LEN_MAX, False)
        )
        checked.append(party)
        holder_type = HOLDER_TYPE_OF_ROLE.get(party.role)
        if holder_type is not None:
            accounts.append(Account(next_id, holder_type, party.party_id, label))
            next_id += 1
    payload: JsonDict = {"parties": len(parties), "accounts": len(accounts)}
    if len(parties) == 1:
        payload["party"] = parties[0].party_id
        if accounts:
            payload["account"] = accounts[0].account_id
    return Plan(OpType.OPEN_ACCOUNT, payload, parties=tuple(checked), accounts=tuple(accounts))


def plan_authorize(account: Account, agent: Party, active: bool) -> Plan:
    grant = Grant(account.account_id, agent.party_id, active)
    payload = {"account": account.account_id, "agent": agent.party_id, "active": active}
    return Plan(OpType.AUTHORIZE, payload, grant=grant)


def plan_issue(batch: Batch, allocations: Sequence[tuple[AccountId, int]]) -> Plan:
    """Issue a new batch: the whole quantity leaves the issuance account in one entry."""
    if not allocations:
        raise ValidationError("an issuance needs at least one recipient", code="missing_field")
    if len(allocations) > BULK_RECIPIENTS_MAX:
        raise ValidationError("too many recipients in one issuance", code="too_many")
    account_ids = [a for a, _ in allocations]
    amounts = [q for _, q in allocations]
    return plan_issue_columns(batch, account_ids, amounts)


def issued_total(batch: Batch, amounts: Sequence[int]) -> int:
    """The grams a batch issues, once every amount is positive and they sum to it.

    Shared by every op type that issues a batch (``issue``, and contexts' own, such as
    carbon-inclusive issuance): replay counts a batch's issued grams the same way.
    """
    if min(amounts) <= 0:
        raise ValidationError("every issued quantity must be positive", code="non_positive")
    total = sum(amounts)
    if total != batch.issued_g:
        raise ValidationError(
            f"allocations sum to {total} g but the batch issues {batch.issued_g} g",
            code="unbalanced",
        )
    require_positive(total, "issued quantity")
    return total


def plan_issue_columns(batch: Batch, account_ids: Sequence[int], amounts: Sequence[int]) -> Plan:
    total = issued_total(batch, amounts)
    source = Posting(SystemAccount.ISSUANCE, batch.asset_id, State.SOURCE, -total)
    postings = Postings.fan_out(batch.asset_id, source, account_ids, amounts)
    return Plan(OpType.ISSUE, batch_payload(batch, total, len(account_ids)), postings, batch=batch)


def batch_payload(batch: Batch, total: int, recipients: int) -> JsonDict:
    """What an entry that issues a batch records of it (replay reads ``batch``)."""
    d = batch.denomination
    recorded: JsonDict = {
        "asset_id": batch.asset_id,
        "denomination": str(d),
        "instrument": str(d.instrument),
        "jurisdiction": d.jurisdiction,
        "project": d.project,
        "vintage": d.vintage,
        "serial": d.serial,
        "issued_g": total,
    }
    if batch.methodology is not None:  # absent, not null: earlier entries hash unchanged
        recorded["methodology"] = batch.methodology
    return {"batch": recorded, "recipients": recipients}


def _move(
    op: OpType, src: Account, asset_id: AssetId, quantity: int, to: State, payload: JsonDict
) -> Plan:
    require_positive(quantity)
    postings = Postings.of(
        [
            Posting(src.account_id, asset_id, State.AVAILABLE, -quantity),
            Posting(src.account_id, asset_id, to, quantity),
        ]
    )
    body = {"account": src.account_id, "asset_id": asset_id, "quantity": quantity, **payload}
    return Plan(op, body, postings=postings)


def require_tradable(asset_id: AssetId, action: str) -> None:
    """Green energy is points, never money or a credit: it only credits, spends, expires."""
    if asset_id == ENERGY_ASSET:
        raise ValidationError(
            f"green energy is not tradable and cannot be {action}", code="not_tradable"
        )


def plan_transfer(src: Account, dst: Account, asset_id: AssetId, quantity: int) -> Plan:
    require_tradable(asset_id, "transferred")
    require_positive(quantity)
    if src.account_id == dst.account_id:
        raise ValidationError("cannot transfer to the same account", code="same_account")
    if dst.holder_type == HolderType.SYSTEM and asset_id != CASH_ASSET:
        raise ValidationError(
            "credits are not transferred into system accounts", code="bad_account"
        )
    postings = Postings.of(
        [
            Posting(src.account_id, asset_id, State.AVAILABLE, -quantity),
            Posting(dst.account_id, asset_id, State.AVAILABLE, quantity),
        ]
    )
    payload = {
        "from": src.account_id,
        "to": dst.account_id,
        "asset_id": asset_id,
        "quantity": quantity,
    }
    return Plan(OpType.TRANSFER, payload, postings=postings)


def plan_distribute(
    src: Account,
    asset_id: AssetId,
    account_ids: Sequence[int],
    amounts: Sequence[int],
    reference: str,
) -> Plan:
    """Move ``amounts`` from ``src`` to each recipient, in one entry of fan-out postings.

    Recipients' existence and holder types are the caller's set-based checks; here
    only what the columns alone can tell.
    """
    require_tradable(asset_id, "distributed")
    n = len(account_ids)
    if n == 0:
        raise ValidationError("a distribution needs at least one recipient", code="missing_field")
    if n != len(amounts):
        raise ValidationError("recipients and amounts differ in length", code="bad_request")
    if n > BULK_RECIPIENTS_MAX:
        raise ValidationError("too many recipients in one distribution", code="too_many")
    if min(amounts) <= 0:
        raise ValidationError("every distributed quantity must be positive", code="non_positive")
    if len(set(account_ids)) != n:
        raise ValidationError("a recipient is listed twice", code="duplicate_recipient")
    if src.account_id in set(account_ids):
        raise ValidationError("the payer cannot also be a recipient", code="same_account")
    total = sum(amounts)
    require_positive(total, "distributed total")
    reference = checked_text(reference, "reference", REFERENCE_LEN_MAX)
    source = Posting(src.account_id, asset_id, State.AVAILABLE, -total)
    postings = Postings.fan_out(asset_id, source, account_ids, amounts)
    payload: JsonDict = {
        "from": src.account_id,
        "asset_id": asset_id,
        "quantity": total,
        "recipients": n,
        "reference": reference,
    }
    return Plan(OpType.DISTRIBUTE, payload, postings=postings)


def plan_freeze(
    account: Account, asset_id: AssetId, quantity: int, reason: FreezeReason, reference: str
) -> Plan:
    require_tradable(asset_id, "frozen")
    reference = checked_text(reference, "reference", REFERENCE_LEN_MAX)
    plan = _move(
        OpType.FREEZE,
        account,
        asset_id,
        quantity,
        State.FROZEN,
        {"reason": str(reason), "reference": reference},
    )
    hold = HoldChange(None, account.account_id, asset_id, quantity, str(reason), reference)
    return Plan(plan.op_type, plan.payload, postings=plan.postings, holds=(hold,))


def plan_unfreeze(
    hold_id: Seq, account_id: AccountId, asset_id: AssetId, remaining: int, quantity: int | None
) -> Plan:
    if remaining == 0:
        # A state, not a quantity: the caller asked for what is left, and nothing is.
        raise Conflict(f"hold {hold_id} is released already", code="hold_released")
    quantity = remaining if quantity is None else quantity
    require_positive(quantity)
    if quantity > remaining:
        raise Conflict(
            f"hold {hold_id} has {remaining} left; cannot release {quantity}",
            code="exceeds_hold",
        )
    postings = Postings.of(
        [
            Posting(account_id, asset_id, State.FROZEN, -quantity),
            Posting(account_id, asset_id, State.AVAILABLE, quantity),
        ]
    )
    payload = {
        "hold_id": hold_id,
        "account": account_id,
        "asset_id": asset_id,
        "quantity": quantity,
    }
    hold = HoldChange(hold_id, account_id, asset_id, -quantity)
    return Plan(OpType.UNFREEZE, payload, postings=postings, holds=(hold,))


def plan_surrender(account: Account, asset_id: AssetId, quantity: int, period: str) -> Plan:
    require_tradable(asset_id, "surrendered")
    if account.holder_type != HolderType.KEY_EMITTER:
        raise Conflict("only key emitters surrender units", code="not_an_emitter")
    if asset_id == CASH_ASSET:
        raise ValidationError("cash cannot be surrendered", code="bad_asset")
    period = checked_text(period, "compliance period", 32)
    return _move(
        OpType.SURRENDER, account, asset_id, quantity, State.SURRENDERED, {"period": period}
    )


_ISO_3166_2 = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")


@dataclass(frozen=True, slots=True)
class Retirement:
    """What a retirement's certificate says, and whether it may name the beneficiary.

    The certificate is public: whoever holds its id reads it. So the beneficiary's name
    is shown there only if the retiring party chose so (``publish_beneficiary``); by
    default it is withheld (PIPL art. 25: personal information is not made public
    without the person's separate consent).
    """

    beneficiary: str
    reason: str
    jurisdiction: str = ""
    consumption_period: str = ""
    publish_beneficiary: bool = False

    def payload(self) -> JsonDict:
        if self.jurisdiction and not _ISO_3166_2.match(self.jurisdiction):
            raise ValidationError(
                f"jurisdiction {self.jurisdiction!r} is not ISO 3166-2 (e.g. CN-GD)",
                code="bad_jurisdiction",
            )
        return {
            "beneficiary": checked_text(self.beneficiary, "beneficiary", NAME_LEN_MAX),
            "reason": checked_text(self.reason, "reason"),
            "jurisdiction": self.jurisdiction,
            "consumption_period": checked_text(
                self.consumption_period, "consumption period", 64, required=False
            ),
            "publish_beneficiary": self.publish_beneficiary,
        }


def plan_retire(
    account: Account,
    asset_id: AssetId,
    quantity: int,
    retirement: Retirement,
    *,
    certificate_token: str,
) -> Plan:
    """Retire units for good; the entry records its certificate's random token.

    The certificate's id (``RC-{seq}-{token}``) is what its holder shows to others; the
    token, drawn once per request by the registry, makes the id unguessable, so the
    certificates cannot be listed by counting seqs. Recorded in the hashed payload, it
    is replayed, never drawn again.
    """
    require_tradable(asset_id, "retired")
    if asset_id == CASH_ASSET:
        raise ValidationError("cash cannot be retired", code="bad_asset")
    if not TOKEN_RE.match(certificate_token):
        raise ValidationError("a certificate token is 26 base32 characters", code="bad_request")
    body = {**retirement.payload(), "certificate_token": certificate_token}
    return _move(OpType.RETIRE, account, asset_id, quantity, State.RETIRED, body)


def plan_cancel(account: Account, asset_id: AssetId, quantity: int, reason: str) -> Plan:
    require_tradable(asset_id, "cancelled")
    if asset_id == CASH_ASSET:
        raise ValidationError("cash cannot be cancelled", code="bad_asset")
    return _move(
        OpType.CANCEL,
        account,
        asset_id,
        quantity,
        State.CANCELLED,
        {"reason": checked_text(reason, "reason")},
    )


def plan_cash(op: OpType, account: Account, amount_fen: int, reference: str) -> Plan:
    """Deposit (gateway → account) or withdrawal (account → gateway) of fen."""
    require_positive(amount_fen, "amount")
    reference = checked_text(reference, "reference", REFERENCE_LEN_MAX)
    sign = 1 if op == OpType.DEPOSIT else -1
    postings = Postings.of(
        [
            Posting(SystemAccount.CASH_GATEWAY, CASH_ASSET, State.SOURCE, -sign * amount_fen),
            Posting(account.account_id, CASH_ASSET, State.AVAILABLE, sign * amount_fen),
        ]
    )
    payload = {"account": account.account_id, "amount_fen": amount_fen, "reference": reference}
    return Plan(op, payload, postings=postings)


def plan_correct(original_seq: Seq, original_op: str, original: Postings, reason: str) -> Plan:
    if original_op not in CORRECTABLE:
        raise Conflict(
            f"a {original_op} entry cannot be corrected (correctable: "
            f"{', '.join(sorted(CORRECTABLE))}); terminal operations are final",
            code="not_correctable",
        )
    payload = {"corrects": original_seq, "reason": checked_text(reason, "reason")}
    return Plan(OpType.CORRECT, payload, postings=original.negated(), corrects=original_seq)


REGISTRY_PARTY = Party("registry", Role.REGISTRY_OPERATOR, "注册登记机构 Registry operator")


def plan_genesis() -> Plan:
    """The first entry: the registry itself and its system accounts."""
    accounts = tuple(
        Account(int(s), HolderType.SYSTEM, REGISTRY_PARTY.party_id, s.name.lower())
        for s in SystemAccount
    )
    payload: JsonDict = {"system_accounts": {s.name.lower(): int(s) for s in SystemAccount}}
    return Plan(OpType.GENESIS, payload, parties=(REGISTRY_PARTY,), accounts=accounts)
