"""Registry use cases: one method per operation, each one entry of the journal.

Each method checks what its command says alone, then hands ``Journal.execute``
(``ledger.write``) a planner that checks access and state inside the entry's
transaction and returns the pure plan. The journal owns everything else: the
idempotency key, the lean-then-careful paths (a refused lean attempt re-runs the
planner the careful way) and group commit. Any error leaves nothing written.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from pctrade.kernel.clock import Clock
from pctrade.kernel.entropy import Entropy, system_entropy, token
from pctrade.kernel.errors import (
    Conflict,
    Forbidden,
    InsufficientBalance,
    NotFound,
    ValidationError,
)
from pctrade.kernel.limits import INT64_MAX
from pctrade.ledger import access, status
from pctrade.ledger import commands as c
from pctrade.ledger.extensions import CreditPath
from pctrade.ledger.journal import format_ts
from pctrade.ledger.model import (
    CASH_ASSET,
    FIRST_HOLDER_ACCOUNT,
    PERSONAL_INSTRUMENTS,
    SERIAL_MAX,
    Account,
    AccountId,
    AccountStatus,
    AssetId,
    Batch,
    Denomination,
    Instrument,
    Party,
    Role,
    Series,
    State,
    SystemAccount,
    builtin_asset,
    parse_batch_name,
)
from pctrade.ledger.operations import (
    REGISTRY_PARTY,
    FreezeReason,
    OpType,
    Plan,
    check_methodology,
    plan_authorize,
    plan_cancel,
    plan_cash,
    plan_correct,
    plan_distribute,
    plan_freeze,
    plan_genesis,
    plan_issue_columns,
    plan_open_accounts,
    plan_retire,
    plan_surrender,
    plan_transfer,
    plan_unfreeze,
)
from pctrade.ledger.ports import Store, UnitOfWork
from pctrade.ledger.write import (
    IDEM_KEY_RE,
    Evidence,
    Journal,
    Receipt,
    RowsBeside,
    acting_party,
)

__all__ = [
    "AUTHORITIES",
    "IDEM_KEY_RE",
    "Evidence",
    "Receipt",
    "Registry",
    "RowsBeside",
    "account_of",
    "acting_party",
    "require_fits",
    "require_held",
    "require_holder",
]

AUTHORITIES = (Role.REGULATOR, Role.REGISTRY_OPERATOR)
# Holds a context opens and releases itself, with the plans that say why: the market's
# orders (``market``) and the platform pools' deposits (``pools``). The registry's plain
# freeze and unfreeze refuse them, so a holder cannot lift a pool or order hold directly.
CONTEXT_HOLDS = frozenset({FreezeReason.ORDER, FreezeReason.POOL})


def require_plain_hold(reason: str, action: str) -> None:
    if reason in CONTEXT_HOLDS:
        raise Conflict(
            f"{reason} holds are opened and released by their context (the market's orders, "
            f"the pools' deposits), not by a plain {action}",
            code="hold_owned_by_context",
        )


ISSUABLE_SYSTEM = frozenset({SystemAccount.BUFFER, SystemAccount.AUCTION})

E = TypeVar("E", bound=StrEnum)


def _enum(kind: type[E], value: str, what: str) -> E:
    try:
        return kind(value)
    except ValueError as exc:
        known = ", ".join(str(v) for v in kind)
        raise ValidationError(f"unknown {what} {value!r} (use {known})", code="bad_enum") from exc


def require_fits(uow: UnitOfWork, plan: Plan) -> None:
    """Keep what exists of an asset within int64, so that no holding can overflow."""
    for p in plan.postings:
        if p.state == State.SOURCE and p.delta < 0:
            outstanding = -uow.balance(p.account_id, p.asset_id, State.SOURCE)
            if outstanding - p.delta > INT64_MAX:
                raise ValidationError(
                    f"asset {p.asset_id} in existence would exceed the 64-bit range",
                    code="out_of_range",
                )


def account_of(uow: UnitOfWork, account_id: AccountId) -> Account:
    """The account ``account_id``; ``NotFound`` if there is none."""
    # An id beyond int64 cannot exist, and the database driver would reject it.
    account = uow.account(account_id) if 0 < account_id <= INT64_MAX else None
    if account is None:
        raise NotFound(f"no account {account_id}", code="unknown_account")
    return account


def require_holder(uow: UnitOfWork, actor: Party, account: Account) -> None:
    """Only the holder of ``account``, or an agent it authorised, acts on it."""
    # The holder needs no grant: skip the look-up on the common path.
    agents = () if actor.party_id == account.owner else uow.agents(account.account_id)
    access.require_holder_or_agent(actor, account, agents)


def require_held(
    uow: UnitOfWork,
    account: Account,
    asset_id: AssetId,
    quantity: int,
    state: State = State.AVAILABLE,
) -> None:
    """``account`` holds ``quantity`` of the asset in ``state`` (a careful planner's read).

    On the lean path the store's guarded write checks it instead; a refusal there
    re-runs the planner the careful way, which reads the balance here.
    """
    if uow.checks_deferred:  # the store's write checks it; a refusal asks again
        return
    held = uow.balance(account.account_id, asset_id, state)
    if isinstance(quantity, int) and quantity > 0 and held < quantity:
        if uow.standing(account.account_id).status == AccountStatus.CLOSED:
            # Say why it holds nothing: it is closed, whoever asks (``ledger.status``).
            raise Conflict(f"account {account.number} is closed", code="account_closed")
        raise InsufficientBalance(
            f"account {account.number} has {held} {state.label}, needs {quantity}"
        )


def _numbered(uow: UnitOfWork, name: Denomination | Series) -> Denomination:
    """The denomination to issue: as named, or the series' next serial.

    The caller holds the journal head, so no other issuance numbers a batch of the
    series until this one commits: concurrent requests get consecutive serials.
    """
    if isinstance(name, Denomination):
        return name
    serial = uow.last_serial(name) + 1
    if serial > SERIAL_MAX:
        raise Conflict(f"series {name} has used all {SERIAL_MAX} serials", code="series_full")
    return name.numbered(serial)


class Registry:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        group_commit: bool = False,
        entropy: Entropy = system_entropy,
        credit_paths: Iterable[CreditPath] = (),
    ) -> None:
        """``group_commit``: commit concurrent callers' operations together (a server).
        ``entropy``: where certificate tokens are drawn from (``kernel.entropy``).
        ``credit_paths``: the contexts' ways of creating personal credits
        (``extensions.credit_paths_of``); ``issue`` makes a personal batch only with the
        evidence of one of them, so with none it makes no personal batch at all.

        Building a registry writes nothing: the genesis entry is written by the one
        explicit start-up step (``pctrade.bootstrap.prepare``), which calls
        ``ensure_genesis``.
        """
        self.store = store
        self.journal = Journal(store, clock, group_commit=group_commit)
        self.entropy = entropy
        self._personal_evidence = frozenset(
            p.evidence_kind
            for p in credit_paths
            if p.op_type == OpType.ISSUE and p.evidence_kind is not None
        )

    @property
    def clock(self) -> Clock:
        return self.journal.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.journal.clock = clock

    def close(self) -> None:
        """Stop the group-commit writer, if there is one."""
        self.journal.close()

    def ensure_genesis(self) -> None:
        """Write the genesis entry, stamped by this registry's clock, unless it exists."""
        with self.store.writer() as uow:
            if uow.head.last_seq == 0:
                uow.append(
                    plan_genesis(),
                    REGISTRY_PARTY.party_id,
                    "genesis",
                    "genesis",
                    format_ts(self.clock()),
                )
                uow.commit()

    # ---- lookups shared by the planners (account_of, require_holder and require_held
    # are module functions, public for the contexts' planners) ----------------------
    @staticmethod
    def _asset(uow: UnitOfWork, name: str) -> AssetId:
        builtin = builtin_asset(name)
        if builtin is not None:
            return builtin
        Denomination.parse(name)
        batch = uow.batch_named(name)
        if batch is None:
            raise NotFound(f"no batch {name}", code="unknown_batch")
        return batch.asset_id

    # ---- operations ------------------------------------------------------------------
    def open_account(
        self,
        actor: str,
        key: str,
        cmd: c.OpenAccount,
        *,
        evidence: Evidence | None = None,
        fingerprint_of: c.Command | None = None,
    ) -> Receipt:
        """``evidence``: rows a context writes beside the entry (a login, on onboarding);
        ``fingerprint_of``: the context's request the key is bound to, if not ``cmd``."""
        return self.open_accounts(
            actor,
            key,
            c.OpenAccounts(cmd.role, [cmd.party_id], [cmd.name]),
            label=cmd.label,
            fingerprint_of=fingerprint_of or cmd,
            evidence=evidence,
        )

    def open_accounts(
        self,
        actor: str,
        key: str,
        cmd: c.OpenAccounts,
        *,
        label: str = "",
        fingerprint_of: c.Command | None = None,
        evidence: Evidence | None = None,
    ) -> Receipt:
        names = cmd.names if cmd.names is not None else [""] * len(cmd.party_ids)
        if len(names) != len(cmd.party_ids):
            raise ValidationError("party ids and names differ in length", code="bad_request")
        role = _enum(Role, cmd.role, "role")

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            if who.role not in AUTHORITIES and not (
                who.role == Role.PLATFORM and role == Role.INDIVIDUAL
            ):
                raise Forbidden(f"{who.party_id} ({who.role}) may not open {role} accounts")
            if len(set(cmd.party_ids)) != len(cmd.party_ids):
                raise ValidationError("a party is listed twice", code="duplicate_party")
            # Take the head (and its account counter) before looking for existing
            # parties, so that no concurrent opening can slip in between.
            first_account_id = uow.head.next_account_id
            taken = uow.existing_parties(cmd.party_ids)
            if taken:
                sample = ", ".join(sorted(taken)[:5])
                raise Conflict(f"already registered: {sample}", code="party_exists")
            parties = [Party(p, role, n) for p, n in zip(cmd.party_ids, names, strict=True)]
            return plan_open_accounts(parties, first_account_id, label)

        return self.journal.execute(actor, key, fingerprint_of or cmd, planner, evidence)

    def authorize(self, actor: str, key: str, cmd: c.Authorize) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            account = account_of(uow, cmd.account_id)
            access.require_self_or_authority(who, account.owner, "authorise agents")
            agent = uow.party(cmd.agent)
            if agent is None:
                raise NotFound(f"no party {cmd.agent}", code="unknown_party")
            return plan_authorize(account, agent, cmd.active)

        return self.journal.execute(actor, key, cmd, planner, lean=True)

    def issue(
        self,
        actor: str,
        key: str,
        cmd: c.Issue,
        *,
        evidence: Evidence | None = None,
    ) -> Receipt:
        # A series without its serial asks the registry to number the batch.
        name = parse_batch_name(cmd.denomination)
        self._require_credit_path(name.instrument, evidence)
        if not cmd.account_ids:
            raise ValidationError("an issuance needs at least one recipient", code="missing_field")
        if len(cmd.account_ids) != len(cmd.amounts_g):
            raise ValidationError("recipients and amounts differ in length", code="bad_request")
        methodology = None if cmd.methodology is None else check_methodology(cmd.methodology)

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            access.require_role(who, AUTHORITIES, "issue credits")
            asset_id = uow.head.next_asset_id  # takes the head before the checks below
            denomination = _numbered(uow, name)
            if uow.batch_named(str(denomination)) is not None:
                raise Conflict(f"batch {denomination} exists", code="batch_exists")
            ids = cmd.account_ids
            distinct = set(ids)
            if len(distinct) != len(ids):
                raise ValidationError("a recipient is listed twice", code="duplicate_recipient")
            if uow.account_count(ids) != len(ids):
                raise NotFound("some recipients have no account", code="unknown_account")
            # Look the few system ids up in the set rather than scan a million recipients.
            # Allowances for paid allocation are issued into the auction account, which
            # the market's one-way bidding sells from (``market.auctions``).
            if min(ids) < FIRST_HOLDER_ACCOUNT and any(
                a in distinct for a in range(FIRST_HOLDER_ACCOUNT) if a not in ISSUABLE_SYSTEM
            ):
                raise ValidationError(
                    "credits are issued to holder accounts, the buffer or the auction account",
                    code="bad_account",
                )
            total = sum(cmd.amounts_g)
            batch = Batch(asset_id, denomination, total, 0, methodology)
            return plan_issue_columns(batch, ids, cmd.amounts_g)

        return self.journal.execute(actor, key, cmd, planner, evidence)

    def _require_credit_path(self, instrument: Instrument, evidence: Evidence | None) -> None:
        """Personal credits come only from behaviour (DESIGN §4): an issue of one is the
        last step of a registered path, which hands its evidence (the sink issuance's
        attribution table); a plain issue of one is refused before anything is read."""
        if instrument not in PERSONAL_INSTRUMENTS:
            return
        facts = None if evidence is None else evidence.facts
        if facts is not None and facts.get("kind") in self._personal_evidence:
            return
        raise ValidationError(
            f"{instrument} are personal credits: only sink issuance (verified removals "
            "attributed to their sponsors) and the carbon-inclusive path create them, "
            "never a plain issue",
            code="personal_credit_path_required",
        )

    def transfer(self, actor: str, key: str, cmd: c.Transfer) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            src = account_of(uow, cmd.from_account)
            dst = account_of(uow, cmd.to_account)
            asset_id = self._asset(uow, cmd.asset)
            require_holder(uow, who, src)
            plan = plan_transfer(src, dst, asset_id, cmd.quantity_units)
            require_held(uow, src, asset_id, cmd.quantity_units)
            return plan

        return self.journal.execute(actor, key, cmd, planner, lean=True)

    def distribute(self, actor: str, key: str, cmd: c.Distribute) -> Receipt:
        """Pay many recipients from one account in one entry, checked set-based."""

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            src = account_of(uow, cmd.from_account)
            asset_id = self._asset(uow, cmd.asset)
            require_holder(uow, who, src)
            plan = plan_distribute(src, asset_id, cmd.account_ids, cmd.amounts_units, cmd.reference)
            ids = cmd.account_ids
            if min(ids) < FIRST_HOLDER_ACCOUNT:
                raise ValidationError("distributions go to holder accounts", code="bad_account")
            if uow.account_count(ids) != len(ids):
                raise NotFound("some recipients have no account", code="unknown_account")
            require_held(uow, src, asset_id, plan.payload["quantity"])
            return plan

        return self.journal.execute(actor, key, cmd, planner)

    def freeze(self, actor: str, key: str, cmd: c.Freeze) -> Receipt:
        reason = _enum(FreezeReason, cmd.reason, "freeze reason")
        require_plain_hold(reason, "freeze")

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            account = account_of(uow, cmd.account_id)
            asset_id = self._asset(uow, cmd.asset)
            if reason == FreezeReason.REGULATOR:
                access.require_role(who, AUTHORITIES, "impose a regulator freeze")
            else:
                require_holder(uow, who, account)
            plan = plan_freeze(account, asset_id, cmd.quantity_units, reason, cmd.reference)
            require_held(uow, account, asset_id, cmd.quantity_units)
            return plan

        return self.journal.execute(actor, key, cmd, planner, lean=True)

    def unfreeze(self, actor: str, key: str, cmd: c.Unfreeze) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            hold = uow.hold(cmd.hold_id) if 0 < cmd.hold_id <= INT64_MAX else None
            if hold is None:
                raise NotFound(f"no hold {cmd.hold_id}", code="unknown_hold")
            require_plain_hold(hold.reason, "unfreeze")
            account = account_of(uow, hold.account_id)
            if hold.reason == FreezeReason.REGULATOR:
                access.require_role(who, AUTHORITIES, "release a regulator freeze")
            else:
                require_holder(uow, who, account)
            return plan_unfreeze(
                hold.hold_id, hold.account_id, hold.asset_id, hold.remaining, cmd.quantity_units
            )

        return self.journal.execute(actor, key, cmd, planner, lean=True)

    def surrender(self, actor: str, key: str, cmd: c.Surrender) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            account = account_of(uow, cmd.account_id)
            asset_id = self._asset(uow, cmd.asset)
            require_holder(uow, who, account)
            plan = plan_surrender(account, asset_id, cmd.quantity_g, cmd.period)
            require_held(uow, account, asset_id, cmd.quantity_g)
            return plan

        return self.journal.execute(actor, key, cmd, planner, lean=True)

    def retire(self, actor: str, key: str, cmd: c.Retire) -> Receipt:
        # Drawn once per request: a careful re-run of the planner records the same token,
        # and a replay answers with the entry that recorded the first.
        certificate_token = token(self.entropy)

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            account = account_of(uow, cmd.account_id)
            asset_id = self._asset(uow, cmd.asset)
            require_holder(uow, who, account)
            plan = plan_retire(
                account,
                asset_id,
                cmd.quantity_g,
                cmd.retirement,
                certificate_token=certificate_token,
            )
            require_held(uow, account, asset_id, cmd.quantity_g)
            return plan

        return self.journal.execute(actor, key, cmd, planner, lean=True)

    def cancel(
        self,
        actor: str,
        key: str,
        cmd: c.Cancel,
        *,
        evidence: Evidence | None = None,
    ) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            access.require_role(who, AUTHORITIES, "cancel units")
            account = account_of(uow, cmd.account_id)
            asset_id = self._asset(uow, cmd.asset)
            plan = plan_cancel(account, asset_id, cmd.quantity_g, cmd.reason)
            require_held(uow, account, asset_id, cmd.quantity_g)
            return plan

        return self.journal.execute(actor, key, cmd, planner, evidence, lean=True)

    def deposit(self, actor: str, key: str, cmd: c.Deposit) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            access.require_role(who, AUTHORITIES, "confirm cash deposits")
            account = account_of(uow, cmd.account_id)
            plan = plan_cash(OpType.DEPOSIT, account, cmd.amount_fen, cmd.reference)
            require_fits(uow, plan)
            return plan

        return self.journal.execute(actor, key, cmd, planner, lean=True)

    def withdraw(self, actor: str, key: str, cmd: c.Withdraw) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            account = account_of(uow, cmd.account_id)
            require_holder(uow, who, account)
            plan = plan_cash(OpType.WITHDRAW, account, cmd.amount_fen, cmd.reference)
            require_held(uow, account, CASH_ASSET, cmd.amount_fen)
            return plan

        return self.journal.execute(actor, key, cmd, planner, lean=True)

    def set_account_status(self, actor: str, key: str, cmd: c.SetAccountStatus) -> Receipt:
        """Block, suspend, close or reopen an account (``ledger.status``): authorities only."""
        target = status.parse_status(cmd.status)

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            access.require_role(who, AUTHORITIES, f"set account status to {target.label}")
            account = account_of(uow, cmd.account_id)
            uow.head  # noqa: B018 - the head first: the status and holdings read stay current
            current = uow.standing(account.account_id).status
            closing = target == status.CLOSED and current != status.CLOSED
            holdings = uow.balances_of(account.account_id) if closing else ()
            return status.plan_status(account, current, target, cmd.reason, holdings)

        return self.journal.execute(actor, key, cmd, planner)

    def correct(self, actor: str, key: str, cmd: c.Correct) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            access.require_role(who, (Role.REGISTRY_OPERATOR,), "correct the journal")
            original = uow.entry(cmd.seq) if 0 < cmd.seq <= INT64_MAX else None
            if original is None:
                raise NotFound(f"no entry {cmd.seq}", code="unknown_entry")
            if uow.corrected(cmd.seq):
                raise Conflict(f"entry {cmd.seq} is already corrected", code="already_corrected")
            postings = uow.postings_of(cmd.seq)
            plan = plan_correct(cmd.seq, original.header.op_type, postings, cmd.reason)
            for p in plan.postings:
                if p.delta < 0 and p.state != State.SOURCE:
                    require_held(uow, account_of(uow, p.account_id), p.asset_id, -p.delta, p.state)
            require_fits(uow, plan)
            return plan

        return self.journal.execute(actor, key, cmd, planner, lean=True)
