"""Platform pools (平台整合，间接交易) as the ledger records them: terms, op types, plans.

A platform opens a pool under published terms; individuals, eligible to trade or not,
deposit personal credits (PCER) into it; the pool sells them through the market and
pays each contributor (issue 14, DESIGN §6). Ownership never leaves the contributor:
a deposit is one ledger hold of reason ``pool`` on their own account, which only this
context opens and releases (the registry's plain freeze and unfreeze refuse them).

    pool_terms    a version of a pool's terms (version 1 opens the pool): no postings;
                  the entry gives the terms the journal's legal weight and cites the
                  rule set (version and digest) they were checked against
    pool_deposit  available → frozen for the contributor, opening ONE hold
                  (reason ``pool``, reference ``pool:<pool id>``; hold id = entry seq =
                  deposit id), recording the terms version the contributor accepted
    pool_withdraw frozen → available: draws unsold units out of the contributor's holds
    pool_consent  no postings: a contributor moves their deposits to a later version

Terms that would leave individuals manifestly worse off (显失公平, Civil Code art. 151)
are refused before anything is written (``check_terms``): a fee above the rule set's
cap (``fee_above_cap``), a mandatory disclosure missing, a lock-in, withdrawal notice or
payout delay longer than the rule set allows (``terms_manifestly_unfair``, naming the
rule); every refusal cites the rule set's version. Pure rules only: ``pools.service``
reads and journals.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.limits import NAME_LEN_MAX
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.journal import JsonDict, canonical_json
from pctrade.ledger.model import PERSONAL_INSTRUMENTS, AccountId, AssetId, Denomination, State
from pctrade.ledger.operations import HoldChange, Plan, checked_text, holds_payload
from pctrade.ledger.postings import Posting, Postings
from pctrade.rules.model import RuleSet

POOL_HOLD_REASON = "pool"
SCHEDULE_LEN_MAX = 200
ADMITTED_MAX = 32
DAYS_MAX = 3_660  # ten years: no term of a pool is counted in longer spans
POOL_ID_RE = re.compile(r"^POOL-[A-Z]{2,3}-[0-9]{4,6}$")
# An admitted entry: an instrument (``PCER``), a series prefix (``PCER-GD``,
# ``PCER-GD-CI-2026Q3``) or one batch (``PCER-GD-CI-2026Q3-001``).
ADMITTED_RE = re.compile(r"^[A-Z]{2,8}(?:-[A-Za-z0-9]{1,16}){0,4}$")


class PoolOp(StrEnum):
    """The pools context's op types: the strings its entries record (never renamed)."""

    POOL_TERMS = "pool_terms"
    POOL_DEPOSIT = "pool_deposit"
    POOL_WITHDRAW = "pool_withdraw"
    POOL_CONSENT = "pool_consent"
    POOL_SETTLE = "pool_settle"  # a sale: units to the buyer, cash to each contributor


class PoolState(StrEnum):
    OPEN = "open"  # takes deposits
    CLOSED = "closed"


# The draw orders a pool may disclose (``pools.allocation.DrawOrder`` implements them).
DRAW_ORDERS = ("pro_rata", "fifo")


def hold_reference(pool_id: str) -> str:
    """What a deposit's hold records as its reference."""
    return f"pool:{pool_id}"


@dataclass(frozen=True, slots=True)
class Terms:
    """A pool's published terms. ``None`` (or an empty schedule): not disclosed.

    ``admitted``: the personal credits the pool takes (instrument, series or batch);
    ``fee_bps``: the platform's share of a sale's proceeds (after the market's fee);
    ``floor_fen_per_t``: the lowest price the pool may sell at; ``draw_order``: how a
    sale draws on contributors (``pro_rata`` by default, or ``fifo``);
    ``sale_schedule``: when the pool sells, in words; ``payout_delay_days``: the
    longest time from a sale to the contributors' payout; ``withdrawal_notice_days``:
    the notice a contributor gives before withdrawing unsold units;
    ``lock_in_days``: how long after a deposit its units cannot be withdrawn.
    """

    admitted: tuple[str, ...]
    fee_bps: int
    floor_fen_per_t: int | None = None
    draw_order: str = "pro_rata"
    sale_schedule: str = ""
    payout_delay_days: int | None = None
    withdrawal_notice_days: int | None = None
    lock_in_days: int | None = None

    def __post_init__(self) -> None:
        _check_shape(self)

    def to_json(self) -> JsonDict:
        body = asdict(self)
        body["admitted"] = list(self.admitted)
        return body

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Terms:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(body) - known
        if unknown:
            raise ValidationError(f"unknown terms field {sorted(unknown)[0]!r}", code="bad_terms")
        try:
            return cls(**{**body, "admitted": tuple(body.get("admitted", ()))})
        except TypeError as exc:
            raise ValidationError(f"malformed terms: {exc}", code="bad_terms") from exc

    def canonical(self) -> str:
        return canonical_json(self.to_json())

    def digest(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    def disclosed(self, field: str) -> bool:
        value = getattr(self, field)
        return value is not None and value != ""

    def admits(self, denomination: Denomination) -> bool:
        """Whether a batch of ``denomination`` may be deposited under these terms."""
        name = str(denomination)
        return any(name == a or name.startswith(a + "-") for a in self.admitted)

    def lock_in_ends(self, deposited_at: datetime) -> datetime:
        return deposited_at + timedelta(days=self.lock_in_days or 0)

    def notice_ends(self, given_at: datetime) -> datetime:
        return given_at + timedelta(days=self.withdrawal_notice_days or 0)


def _check_shape(t: Terms) -> None:
    """What the terms say alone (Regen's ``ValidateBasic``): types, ranges, words."""
    if not t.admitted or len(t.admitted) > ADMITTED_MAX:
        raise ValidationError(f"terms admit 1 to {ADMITTED_MAX} kinds of credits", code="bad_terms")
    for a in t.admitted:
        if not isinstance(a, str) or not ADMITTED_RE.match(a):
            raise ValidationError(f"admitted credits {a!r} are not a batch name", code="bad_terms")
        if a.split("-", 1)[0] not in {str(i) for i in PERSONAL_INSTRUMENTS}:
            raise ValidationError(
                f"a pool takes personal credits only ({a!r} is not one)", code="bad_terms"
            )
    if len(set(t.admitted)) != len(t.admitted):
        raise ValidationError("terms admit the same credits twice", code="bad_terms")
    _whole(t.fee_bps, "fee_bps", 0, 10_000)
    for name in ("floor_fen_per_t", "payout_delay_days", "withdrawal_notice_days", "lock_in_days"):
        value = getattr(t, name)
        if value is not None:
            _whole(value, name, 0, 10**12 if name == "floor_fen_per_t" else DAYS_MAX)
    if t.draw_order not in DRAW_ORDERS:
        raise ValidationError(
            f"draw_order {t.draw_order!r} is not one of {', '.join(DRAW_ORDERS)}",
            code="bad_terms",
        )
    if not isinstance(t.sale_schedule, str) or len(t.sale_schedule) > SCHEDULE_LEN_MAX:
        raise ValidationError(
            f"sale_schedule is text of at most {SCHEDULE_LEN_MAX} characters", code="bad_terms"
        )


def _whole(value: object, name: str, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValidationError(f"{name} must be an integer in {lo}..{hi}", code="bad_terms")


# ---- 显失公平: the terms against the jurisdiction's rule set --------------------------


def unfair(rule_set: RuleSet, rule: str, message: str) -> Conflict:
    """A refusal of manifestly unfair terms, naming the rule and the rule set's version."""
    return Conflict(
        f"manifestly unfair terms (显失公平), rule {rule} of rule set {rule_set.version}: "
        f"{message}",
        code="terms_manifestly_unfair",
    )


def check_terms(terms: Terms, rule_set: RuleSet) -> None:
    """Refuse terms that would put individuals in a manifestly unfair position.

    The rules, each citing ``rule_set.version``: ``[fees] pool_fee_cap_bps`` (the fee,
    ``fee_above_cap``); ``[pools] disclosures`` (each named field disclosed); and the
    longest ``lock_in_days_max``, ``withdrawal_notice_days_max`` and
    ``payout_delay_days_max``. A rule set without ``[pools]`` or ``[fees]`` admits no
    pool (``no_rule``).
    """
    rules = rule_set.require_pools()
    fees = rule_set.require_fees()
    if terms.fee_bps > fees.pool_fee_cap_bps:
        raise Conflict(
            f"a pool fee of {terms.fee_bps} bps is above the cap of {fees.pool_fee_cap_bps} "
            f"bps ([fees] pool_fee_cap_bps of rule set {rule_set.version}; 显失公平)",
            code="fee_above_cap",
        )
    for field in rules.disclosures:
        if not terms.disclosed(field):
            raise unfair(rule_set, f"disclosures.{field}", f"{field} must be disclosed")
    for field, limit in (
        ("lock_in_days", rules.lock_in_days_max),
        ("withdrawal_notice_days", rules.withdrawal_notice_days_max),
        ("payout_delay_days", rules.payout_delay_days_max),
    ):
        value = getattr(terms, field)
        if value is not None and value > limit:
            raise unfair(
                rule_set, f"{field}_max", f"{field} of {value} is above the longest, {limit}"
            )


# ---- plans -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermsVersion:
    """What a ``pool_terms`` entry publishes: a version of one pool's terms."""

    pool_id: str
    version: int
    terms: Terms
    rule_set: str
    rule_set_digest: str
    platform_account: AccountId
    name: str = ""  # the pool's name, on the opening version


def plan_pool_terms(v: TermsVersion) -> Plan:
    """Publish a version of a pool's terms (version 1 opens it): an entry without postings."""
    if not POOL_ID_RE.match(v.pool_id) or v.version < 1:
        raise ValidationError(f"bad pool id or version {v.pool_id}/{v.version}", code="bad_request")
    payload: JsonDict = {
        "pool_id": v.pool_id,
        "version": v.version,
        "terms": v.terms.to_json(),
        "terms_digest": v.terms.digest(),
        "rule_set": v.rule_set,
        "rule_set_digest": v.rule_set_digest,
        "platform_account": v.platform_account,
    }
    if v.version == 1:
        payload["name"] = checked_text(v.name, "pool name", NAME_LEN_MAX)
    return Plan(PoolOp.POOL_TERMS, payload)


def plan_pool_deposit(
    pool_id: str, account_id: AccountId, asset_id: AssetId, quantity_g: int, terms_version: int
) -> Plan:
    """Freeze the contributor's grams in ONE hold of reason ``pool`` (their deposit)."""
    _positive(quantity_g)
    postings = Postings.of(
        [
            Posting(account_id, asset_id, State.AVAILABLE, -quantity_g),
            Posting(account_id, asset_id, State.FROZEN, quantity_g),
        ]
    )
    hold = HoldChange(
        None, account_id, asset_id, quantity_g, POOL_HOLD_REASON, hold_reference(pool_id)
    )
    payload: JsonDict = {
        "pool_id": pool_id,
        "account": account_id,
        "asset_id": asset_id,
        "quantity_g": quantity_g,
        "terms_version": terms_version,
        "holds": holds_payload((hold,)),
    }
    return Plan(PoolOp.POOL_DEPOSIT, payload, postings=postings, holds=(hold,))


@dataclass(frozen=True, slots=True)
class Draw:
    """Grams taken out of one deposit (its hold)."""

    deposit_id: int
    asset_id: AssetId
    grams: int


def plan_pool_withdraw(pool_id: str, account_id: AccountId, draws: Sequence[Draw]) -> Plan:
    """Release unsold units from the contributor's deposits back to ``available``."""
    if not draws:
        raise ValidationError("a withdrawal draws on at least one deposit", code="bad_request")
    for d in draws:
        _positive(d.grams)
    per_asset: dict[AssetId, int] = {}
    for d in draws:
        per_asset[d.asset_id] = per_asset.get(d.asset_id, 0) + d.grams
    postings = Postings.of(
        [
            p
            for asset_id, grams in sorted(per_asset.items())
            for p in (
                Posting(account_id, asset_id, State.FROZEN, -grams),
                Posting(account_id, asset_id, State.AVAILABLE, grams),
            )
        ]
    )
    holds = tuple(HoldChange(d.deposit_id, account_id, d.asset_id, -d.grams) for d in draws)
    payload: JsonDict = {
        "pool_id": pool_id,
        "account": account_id,
        "quantity_g": sum(d.grams for d in draws),
        "holds": holds_payload(holds),
    }
    return Plan(PoolOp.POOL_WITHDRAW, payload, postings=postings, holds=holds)


def plan_pool_consent(
    pool_id: str, account_id: AccountId, version: int, deposit_ids: Sequence[int]
) -> Plan:
    """A contributor's consent to terms ``version``: their deposits move to it."""
    payload: JsonDict = {
        "pool_id": pool_id,
        "account": account_id,
        "version": version,
        "deposits": sorted(deposit_ids),
    }
    return Plan(PoolOp.POOL_CONSENT, payload)


def _positive(grams: int) -> None:
    if isinstance(grams, bool) or not isinstance(grams, int) or grams <= 0:
        raise ValidationError("a quantity must be a positive number of grams", code="bad_quantity")


# ---- withdrawal: which unsold units may leave, by the terms each deposit accepted ----


@dataclass(frozen=True, slots=True)
class Unsold:
    """One of the contributor's deposits, as a withdrawal sees it."""

    deposit_id: int
    asset_id: AssetId
    remaining_g: int
    unlocked_at: datetime  # the end of its lock-in (and of notice, when one is required)
    notice_missing: bool = False  # its terms require notice, and none was given


def draws_for_withdrawal(
    deposits: Sequence[Unsold], quantity_g: int, now: datetime, pool_free_g: int
) -> list[Draw]:
    """The draws of a withdrawal of ``quantity_g``, oldest unlocked deposit first.

    Refused, in this order: more than the contributor's unsold units
    (``pool_units_sold``); more than the pool can spare from what open market sells
    of it have committed (``pool_units_committed``); more than their units out of
    lock-in and notice (``pool_units_locked``).
    """
    _positive(quantity_g)
    unsold = sum(d.remaining_g for d in deposits)
    if quantity_g > unsold:
        raise Conflict(
            f"only {unsold} g of these deposits are unsold; {quantity_g} g asked",
            code="pool_units_sold",
        )
    if quantity_g > pool_free_g:
        raise Conflict(
            f"only {pool_free_g} g of the pool are not committed to an open sell",
            code="pool_units_committed",
        )
    free = [
        d
        for d in sorted(deposits, key=lambda d: d.deposit_id)
        if d.unlocked_at <= now and not d.notice_missing
    ]
    if quantity_g > sum(d.remaining_g for d in free):
        if any(d.notice_missing for d in deposits):
            why = "their terms require notice of withdrawal first (pctrade pool notice)"
        else:
            first = min(d.unlocked_at for d in deposits if d.unlocked_at > now)
            why = f"they are locked in or under notice until {first.isoformat()}"
        raise Conflict(
            f"only {sum(d.remaining_g for d in free)} g can leave now: {why}",
            code="pool_units_locked",
        )
    draws: list[Draw] = []
    left = quantity_g
    for d in free:
        if left == 0:
            break
        take = min(left, d.remaining_g)
        if take:
            draws.append(Draw(d.deposit_id, d.asset_id, take))
            left -= take
    return draws


# ---- replay checks -----------------------------------------------------------------


def _mismatch(seq: int, message: str) -> Problem:
    return Problem("pool_entry_mismatch", message, seq)


def check_pool_terms(entry: StoredEntry) -> Iterator[Problem]:
    """Replay: no postings, and the terms recorded are the terms digested."""
    p, seq = entry.header.payload, entry.header.seq
    if len(entry.postings):
        yield _mismatch(seq, "a terms entry moves nothing")
    try:
        terms = Terms.from_json(p["terms"])
        version = int(p["version"])
    except (KeyError, TypeError, ValueError, ValidationError):
        yield _mismatch(seq, "the payload lacks readable terms")
        return
    if version < 1 or terms.digest() != p.get("terms_digest"):
        yield _mismatch(seq, "the terms' digest differs from the terms recorded")


def check_pool_deposit(entry: StoredEntry) -> Iterator[Problem]:
    """Replay: the contributor's grams went from available to frozen, into one hold."""
    p, seq = entry.header.payload, entry.header.seq
    try:
        account, asset, q = int(p["account"]), int(p["asset_id"]), int(p["quantity_g"])
    except (KeyError, TypeError, ValueError):
        yield _mismatch(seq, "the payload lacks a deposit's figures")
        return
    expected = {(account, asset, int(State.AVAILABLE)): -q, (account, asset, int(State.FROZEN)): q}
    opened = [{"hold_id": None, "account": account, "asset_id": asset, "delta": q}]
    if q <= 0 or _net(entry) != expected or p.get("holds") != opened:
        yield _mismatch(seq, "a deposit moved other grams than it records")


def check_pool_withdraw(entry: StoredEntry) -> Iterator[Problem]:
    """Replay: what left the holds came back to the same account's available grams."""
    p, seq = entry.header.payload, entry.header.seq
    try:
        account = int(p["account"])
        holds = [(int(h["asset_id"]), int(h["delta"]), int(h["account"])) for h in p["holds"]]
    except (KeyError, TypeError, ValueError):
        yield _mismatch(seq, "the payload lacks a withdrawal's figures")
        return
    expected: dict[tuple[int, int, int], int] = {}
    for asset, delta, owner in holds:
        if delta >= 0 or owner != account:
            yield _mismatch(seq, "a withdrawal only draws its contributor's holds down")
            return
        frozen = (account, asset, int(State.FROZEN))
        available = (account, asset, int(State.AVAILABLE))
        expected[frozen] = expected.get(frozen, 0) + delta
        expected[available] = expected.get(available, 0) - delta
    total = -sum(delta for _, delta, _ in holds)
    if _net(entry) != expected or total != p.get("quantity_g"):
        yield _mismatch(seq, "a withdrawal moved other grams than it drew from its holds")


def check_pool_consent(entry: StoredEntry) -> Iterator[Problem]:
    if len(entry.postings):
        yield _mismatch(entry.header.seq, "a consent moves nothing")


def _net(entry: StoredEntry) -> dict[tuple[int, int, int], int]:
    return {(a, s, int(st)): d for (a, s, st), d in entry.postings.net_by_key().items() if d != 0}
