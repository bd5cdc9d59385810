"""Identity use cases: logins, tokens, API keys, onboarding, real-name facts, audit.

``Identity`` is built by the composition root over the registry (its store, clock and
journal) with an ``IdentityConfig`` (argon2 cost, login throttle). Every method that
changes something records an event in the audit log (``identity_events``) in the same
transaction, and every write that takes an idempotency key goes through the ledger's
one mechanism: onboarding is an ``open_account`` entry with its login and facts written
beside it (all or nothing), the other keyed writes are logged in the request log.

**Logging in** is two short transactions around the password check, so that no lock is
held while argon2 works: the first charges the attempt to the account and the client
address (and refuses it, unchecked, past the throttle), the second records the outcome
— a token and the refund on success, the failure otherwise. An unknown username goes
through exactly the same steps, against a dummy hash of the same cost, so its answer
takes as long as a wrong password's. A successful login whose hash is an old bcrypt
hash, or argon2 under other parameters, stores a fresh hash of the password.

Logging out, revoking a party's tokens and changing a password are naturally
idempotent or cannot be repeated (a password change revokes the token it came with),
so they take no idempotency key; neither does logging in, which issues a new token
each time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pctrade.identity import commands as ic
from pctrade.identity.model import (
    API_KEY_PREFIX,
    API_KEY_SHOWN_CHARS,
    API_KEYS_PER_PARTY_MAX,
    AUDIT_PAGE_MAX,
    CLIENT_LEN_MAX,
    LOGINS_PER_PARTY_MAX,
    TOKEN_PREFIX,
    TOKEN_TTL_S,
    USERNAME_RE,
    Event,
    Facts,
    Scope,
    ThrottlePolicy,
    check_facts,
    check_label,
    check_password,
    check_ttl,
    check_username,
    require_below,
    require_facts_reader,
    require_facts_recorder,
    require_identity_admin,
    require_key_holder,
    require_onboarder,
    require_self_or_admin,
    retry_after_s,
    subject_kind,
)
from pctrade.identity.passwords import HashingParams, Passwords
from pctrade.identity.sql import store as db
from pctrade.kernel.errors import (
    AuthenticationError,
    Conflict,
    Forbidden,
    NotFound,
    Throttled,
    ValidationError,
)
from pctrade.kernel.limits import INT32_MAX, INT64_MAX
from pctrade.ledger import commands as c
from pctrade.ledger.journal import Entry, JsonDict, format_ts
from pctrade.ledger.model import SYSTEM_OWNER, Party, PartyId
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import Receipt, Registry, RowsBeside, acting_party

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
Row = dict[str, Any]
# The columns of an API key that its listing shows: never its hash.
KEY_COLUMNS = ("key_id", "party_id", "label", "shown", "created_at", "rotated_at", "revoked_at")


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    """What a deployment decides about identity: argon2's cost and the login throttle."""

    hashing: HashingParams = field(default_factory=HashingParams)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str = field(repr=False)
    party_id: PartyId
    username: str
    expires_at: str


@dataclass(frozen=True, slots=True)
class Session:
    """The login a bearer token was issued to."""

    party_id: PartyId
    username: str
    token_hash: str


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """An API key's public row, and its secret: shown once, so None on a replay."""

    key: Row
    secret: str | None = field(default=None, repr=False)
    replayed: bool = False


def secret_digest(secret: str) -> str:
    """Tokens and keys are long random strings, so a fast hash of them suffices."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _public_key(row: Row) -> Row:
    return {name: row[name] for name in KEY_COLUMNS}


def _facts_row(facts: Facts) -> Row:
    return {
        "real_name_verified": facts.real_name_verified,
        "real_name_verified_on": _iso(facts.real_name_verified_on),
        "real_name_method": _text(facts.real_name_method),
        "risk_level": _text(facts.risk_level),
        "risk_assessed_on": _iso(facts.risk_assessed_on),
        "birth_date": _iso(facts.birth_date),
        "credit_code": facts.credit_code,
        "net_assets_fen": facts.net_assets_fen,
    }


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class Identity:
    def __init__(self, registry: Registry, config: IdentityConfig | None = None) -> None:
        self.registry = registry
        self.store = registry.store
        self.config = config or IdentityConfig()
        self.passwords = Passwords(self.config.hashing)

    def _now(self) -> datetime:
        return self.registry.clock()

    def _today(self) -> Any:
        return self._now().astimezone(CHINA_STANDARD_TIME).date()

    def _event(self, uow: UnitOfWork, event: Event, **row: Any) -> None:
        row.setdefault("ts", format_ts(self._now()))
        db.record_event(uow, {"event": str(event), **row})

    def _actor(self, actor: PartyId) -> Party:
        with self.store.reader() as uow:
            return acting_party(uow, actor)

    # ---- logging in and out ----------------------------------------------------------
    def login(
        self, username: str, password: str, *, client: str = "", ttl_s: int = TOKEN_TTL_S
    ) -> IssuedToken:
        """Check a password and issue a bearer token (see the module on throttling)."""
        check_ttl(ttl_s)
        client = client[:CLIENT_LEN_MAX]
        known = self._charge_attempt(username, client, Event.LOGIN_THROTTLED)
        verdict = self.passwords.verify(None if known is None else known["password_hash"], password)
        fresh_hash = (
            self.passwords.hash(password.encode()) if verdict.ok and verdict.rehash else None
        )
        with self.store.writer() as uow:
            if known is None or not verdict.ok:
                detail = "unknown username" if known is None else "wrong password"
                self._event(
                    uow,
                    Event.LOGIN_FAILED,
                    party_id=None if known is None else known["party_id"],
                    username=None if known is None else username,
                    client=client,
                    detail=detail,
                )
                uow.commit()
                raise AuthenticationError("wrong username or password", code="invalid_credentials")
            self._settle_attempt(uow, username, client)
            if fresh_hash is not None:
                db.set_password_hash(uow, username, fresh_hash)
                self._event(
                    uow, Event.PASSWORD_REHASHED, party_id=known["party_id"], username=username
                )
            issued = self._issue_token(uow, known["party_id"], username, ttl_s)
            self._event(
                uow,
                Event.LOGIN,
                actor=known["party_id"],
                party_id=known["party_id"],
                username=username,
                client=client,
            )
            uow.commit()
        return issued

    def _charge_attempt(self, username: str, client: str, refused: Event) -> Row | None:
        """Charge an attempt on ``username`` from ``client``; its login row if any.
        Raises ``Throttled`` (and records ``refused``) past the policy's bound."""
        policy = self.config.throttle
        now = self._now()
        ended = format_ts(now - timedelta(seconds=policy.window_s))
        retry_s = 0
        with self.store.writer() as uow:
            # Account first, then address: every login locks its two rows in that order.
            for scope, key in self._throttle_keys(username, client):
                attempts, started = db.charge(uow, scope, key, format_ts(now), ended)
                if attempts > policy.attempts_max(scope):
                    since = datetime.fromisoformat(started.replace("Z", "+00:00"))
                    retry_s = max(retry_s, retry_after_s(since, now, policy.window_s))
            db.forget_ended_windows(uow, ended)
            known = db.user(uow, username) if USERNAME_RE.match(username) else None
            if retry_s:
                self._event(
                    uow,
                    refused,
                    party_id=None if known is None else known["party_id"],
                    username=None if known is None else username,
                    client=client,
                    detail=f"throttled for {retry_s} s",
                )
            uow.commit()
        if retry_s:
            raise Throttled(f"too many attempts: try again in {retry_s} s", retry_after_s=retry_s)
        return known

    def _settle_attempt(self, uow: UnitOfWork, username: str, client: str) -> None:
        """A success: the account starts afresh, the address gets its attempt back."""
        (account_scope, account_key), (address_scope, address_key) = self._throttle_keys(
            username, client
        )
        db.reset(uow, account_scope, account_key)
        db.refund(uow, address_scope, address_key)

    @staticmethod
    def _throttle_keys(username: str, client: str) -> tuple[tuple[Scope, str], ...]:
        # The username is kept as its digest: any text may be typed in, even a password.
        return ((Scope.ACCOUNT, secret_digest(username)), (Scope.ADDRESS, client or "unknown"))

    def _issue_token(
        self, uow: UnitOfWork, party_id: PartyId, username: str, ttl_s: int
    ) -> IssuedToken:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._now()
        expires_at = format_ts(now + timedelta(seconds=ttl_s))
        db.add_token(
            uow,
            {
                "token_hash": secret_digest(token),
                "party_id": party_id,
                "username": username,
                "issued_at": format_ts(now),
                "expires_at": expires_at,
            },
        )
        return IssuedToken(token, party_id, username, expires_at)

    def session(self, token: str) -> Session:
        """The login a bearer token stands for, if the token is known and current."""
        digest = secret_digest(token)
        with self.store.reader() as uow:
            row = db.token(uow, digest)
        if row is None:
            raise AuthenticationError("unknown bearer token", code="invalid_token")
        if row["expires_at"] <= format_ts(self._now()):
            raise AuthenticationError("the bearer token has expired", code="token_expired")
        return Session(row["party_id"], row["username"], digest)

    def party_for_api_key(self, key: str) -> PartyId:
        digest = secret_digest(key)
        with self.store.reader() as uow:
            row = db.api_key_by_hash(uow, digest)
        # The lookup is by digest; the constant-time compare guards the final equality.
        if row is None or not hmac.compare_digest(row["key_hash"], digest):
            raise AuthenticationError("unknown API key", code="invalid_api_key")
        if row["revoked_at"] is not None:
            # Said as for an unknown key: a revoked key's holder learns nothing new.
            raise AuthenticationError("unknown API key", code="invalid_api_key")
        return str(row["party_id"])

    def logout(self, session: Session, *, client: str = "") -> None:
        """End the session: its token stops working at once."""
        with self.store.writer() as uow:
            db.delete_token(uow, session.token_hash)
            self._event(
                uow,
                Event.LOGOUT,
                actor=session.party_id,
                party_id=session.party_id,
                username=session.username,
                client=client[:CLIENT_LEN_MAX],
            )
            uow.commit()

    def revoke_tokens(self, actor: PartyId, party_id: PartyId) -> int:
        """Revoke every token of ``party_id`` (itself, or the registry operator); how many."""
        who = self._actor(actor)
        require_self_or_admin(who, party_id, "revoke the tokens")
        with self.store.writer() as uow:
            if uow.party(party_id) is None:
                raise NotFound(f"no party {party_id}", code="unknown_party")
            revoked = db.delete_tokens_of(uow, party_id)
            self._event(
                uow,
                Event.TOKENS_REVOKED,
                actor=actor,
                party_id=party_id,
                detail=f"{revoked} tokens",
            )
            uow.commit()
        return revoked

    def change_password(
        self, username: str, old: str, new: str, *, client: str = "", ttl_s: int = TOKEN_TTL_S
    ) -> IssuedToken:
        """Change a login's password (the current one required, and throttled like a
        login). Every token of its party is revoked; the answer is a fresh one."""
        check_ttl(ttl_s)
        issued = self._change_password(username, old, new, client, ttl_s)
        if issued is None:  # pragma: no cover - a ttl asks for a token
            raise RuntimeError("no token was issued")
        return issued

    def change_password_offline(self, username: str, old: str, new: str) -> None:
        """The same from a shell (the CLI), which has no use for a new session."""
        self._change_password(username, old, new, "cli", None)

    def _change_password(
        self, username: str, old: str, new: str, client: str, ttl_s: int | None
    ) -> IssuedToken | None:
        raw = check_password(new)
        if hmac.compare_digest(old.encode(), raw):
            raise ValidationError("the new password is the old one", code="password_unchanged")
        client = client[:CLIENT_LEN_MAX]
        known = self._charge_attempt(username, client, Event.PASSWORD_CHANGE_FAILED)
        verdict = self.passwords.verify(None if known is None else known["password_hash"], old)
        fresh_hash = self.passwords.hash(raw) if verdict.ok else None
        with self.store.writer() as uow:
            if known is None or fresh_hash is None:
                party_id = None if known is None else known["party_id"]
                self._event(
                    uow,
                    Event.PASSWORD_CHANGE_FAILED,
                    actor=party_id,
                    party_id=party_id,
                    username=None if known is None else username,
                    client=client,
                    detail="wrong password",
                )
                uow.commit()
                raise Forbidden("wrong username or current password", code="wrong_password")
            party_id = known["party_id"]
            self._settle_attempt(uow, username, client)
            db.set_password_hash(uow, username, fresh_hash)
            revoked = db.delete_tokens_of(uow, party_id)
            issued = None if ttl_s is None else self._issue_token(uow, party_id, username, ttl_s)
            self._event(
                uow,
                Event.PASSWORD_CHANGED,
                actor=party_id,
                party_id=party_id,
                username=username,
                client=client,
                detail=f"{revoked} tokens revoked",
            )
            uow.commit()
        return issued

    # ---- logins ----------------------------------------------------------------------
    def create_login(self, actor: PartyId, key: str, cmd: ic.CreateLogin) -> JsonDict:
        """The registry operator gives any party a login; the result and a replay flag."""
        check_username(cmd.username)
        password_hash = self.passwords.hash(check_password(cmd.password))

        def work(uow: UnitOfWork, who: Party) -> JsonDict:
            require_identity_admin(who, "create logins")
            self._add_login(uow, actor, cmd.username, cmd.party_id, password_hash)
            return {"username": cmd.username, "party_id": cmd.party_id}

        logged = self.registry.journal.execute_recorded(actor, key, cmd.request(), work)
        return {**logged.result, "replayed": logged.replayed}

    def _add_login(
        self, uow: UnitOfWork, actor: PartyId, username: str, party_id: PartyId, password_hash: str
    ) -> None:
        if uow.party(party_id) is None:
            raise NotFound(f"no party {party_id}", code="unknown_party")
        require_below(db.logins_of(uow, party_id), LOGINS_PER_PARTY_MAX, "logins")
        if not db.add_user(uow, username, password_hash, party_id):
            raise Conflict(f"user {username!r} exists", code="user_exists")
        self._event(uow, Event.LOGIN_CREATED, actor=actor, party_id=party_id, username=username)

    def init_operator(self, username: str, password: str) -> None:
        """The first login of a new deployment: the registry operator's own (the genesis
        party's). Refused once that party has any login: further ones are made by it."""
        check_username(username)
        password_hash = self.passwords.hash(check_password(password))
        with self.store.writer() as uow:
            if db.logins_of(uow, SYSTEM_OWNER) > 0:
                raise Conflict(
                    "the registry operator has a login already: it creates further ones",
                    code="operator_login_exists",
                )
            self._add_login(uow, SYSTEM_OWNER, username, SYSTEM_OWNER, password_hash)
            uow.commit()

    # ---- onboarding and real-name facts ----------------------------------------------
    def onboard(self, actor: PartyId, key: str, cmd: ic.Onboard) -> Receipt:
        """Open the party and its account, its login and its facts, in one entry."""
        require_onboarder(self._actor(actor), cmd.role)
        kind = subject_kind(cmd.role)
        check_username(cmd.username)
        check_facts(cmd.facts, kind, self._today())
        password_hash = self.passwords.hash(check_password(cmd.password))

        def beside(uow: UnitOfWork, entry: Entry) -> None:
            if not db.add_user(uow, cmd.username, password_hash, cmd.party_id):
                raise Conflict(f"user {cmd.username!r} exists", code="user_exists")
            facts = {"party_id": cmd.party_id, "kind": str(kind), "onboarded_by": actor}
            db.put_facts(uow, {**facts, **_facts_row(cmd.facts), **self._recorded(actor)})
            self._event(
                uow,
                Event.ONBOARDED,
                actor=actor,
                party_id=cmd.party_id,
                username=cmd.username,
                detail=f"entry {entry.seq}",
            )

        open_cmd = c.OpenAccount(cmd.party_id, cmd.role, cmd.name, cmd.label)
        return self.registry.open_account(
            actor, key, open_cmd, evidence=RowsBeside(beside), fingerprint_of=cmd
        )

    def _recorded(self, actor: PartyId) -> Row:
        return {"recorded_by": actor, "recorded_at": format_ts(self._now())}

    def record_facts(self, actor: PartyId, key: str, cmd: ic.RecordFacts) -> JsonDict:
        """Record a party's facts as they are now (its onboarding platform, or the operator)."""

        def work(uow: UnitOfWork, who: Party) -> JsonDict:
            existing = db.facts(uow, cmd.party_id)
            onboarded_by = None if existing is None else existing["onboarded_by"]
            require_facts_recorder(who, onboarded_by)
            party = uow.party(cmd.party_id)
            if party is None:
                raise NotFound(f"no party {cmd.party_id}", code="unknown_party")
            kind = subject_kind(party.role)
            check_facts(cmd.facts, kind, self._today())
            row = {"party_id": cmd.party_id, "kind": str(kind), "onboarded_by": onboarded_by}
            db.put_facts(uow, {**row, **_facts_row(cmd.facts), **self._recorded(actor)})
            self._event(uow, Event.FACTS_RECORDED, actor=actor, party_id=cmd.party_id)
            return {"party_id": cmd.party_id}

        logged = self.registry.journal.execute_recorded(actor, key, cmd.request(), work)
        return {**logged.result, "replayed": logged.replayed}

    def facts(self, actor: PartyId, party_id: PartyId) -> Row:
        """A party's real-name facts, for the person, their platform and the authorities."""
        with self.store.reader() as uow:
            who = acting_party(uow, actor)
            row = db.facts(uow, party_id)
            require_facts_reader(who, party_id, None if row is None else row["onboarded_by"])
        if row is None:
            raise NotFound(f"no real-name facts of {party_id}", code="no_facts")
        return row

    # ---- API keys --------------------------------------------------------------------
    def create_api_key(self, actor: PartyId, key: str, cmd: ic.CreateApiKey) -> IssuedKey:
        """A new key for a partner (itself, or the registry operator for it)."""
        check_label(cmd.label)
        secret = API_KEY_PREFIX + secrets.token_urlsafe(32)

        def work(uow: UnitOfWork, who: Party) -> JsonDict:
            require_self_or_admin(who, cmd.party_id, "create API keys")
            party = uow.party(cmd.party_id)
            if party is None:
                raise NotFound(f"no party {cmd.party_id}", code="unknown_party")
            require_key_holder(party)
            require_below(db.api_key_count(uow, cmd.party_id), API_KEYS_PER_PARTY_MAX, "API keys")
            row = {
                "key_hash": secret_digest(secret),
                "party_id": cmd.party_id,
                "label": cmd.label,
                "shown": secret[:API_KEY_SHOWN_CHARS],
                "created_at": format_ts(self._now()),
                "created_by": actor,
            }
            key_id = db.add_api_key(uow, row)
            self._event(
                uow,
                Event.API_KEY_CREATED,
                actor=actor,
                party_id=cmd.party_id,
                detail=f"key {key_id}",
            )
            return {"key_id": key_id}

        return self._keyed(actor, key, cmd.request(), work, secret)

    def rotate_api_key(self, actor: PartyId, key: str, cmd: ic.RotateApiKey) -> IssuedKey:
        """A new secret for the key; the old one stops working at once."""
        secret = API_KEY_PREFIX + secrets.token_urlsafe(32)

        def work(uow: UnitOfWork, who: Party) -> JsonDict:
            row = self._live_key(uow, who, cmd.party_id, cmd.key_id, "rotate API keys")
            db.update_api_key(
                uow,
                row["key_id"],
                key_hash=secret_digest(secret),
                shown=secret[:API_KEY_SHOWN_CHARS],
                rotated_at=format_ts(self._now()),
            )
            self._event(
                uow,
                Event.API_KEY_ROTATED,
                actor=actor,
                party_id=cmd.party_id,
                detail=f"key {cmd.key_id}",
            )
            return {"key_id": cmd.key_id}

        return self._keyed(actor, key, cmd.request(), work, secret)

    def revoke_api_key(self, actor: PartyId, key: str, cmd: ic.RevokeApiKey) -> IssuedKey:
        """The key stops working for good; it stays listed, as revoked."""

        def work(uow: UnitOfWork, who: Party) -> JsonDict:
            row = self._live_key(uow, who, cmd.party_id, cmd.key_id, "revoke API keys")
            db.update_api_key(uow, row["key_id"], revoked_at=format_ts(self._now()))
            self._event(
                uow,
                Event.API_KEY_REVOKED,
                actor=actor,
                party_id=cmd.party_id,
                detail=f"key {cmd.key_id}",
            )
            return {"key_id": cmd.key_id}

        return self._keyed(actor, key, cmd.request(), work, None)

    def _live_key(
        self, uow: UnitOfWork, who: Party, party_id: PartyId, key_id: int, action: str
    ) -> Row:
        require_self_or_admin(who, party_id, action)
        row = db.api_key(uow, key_id) if 0 < key_id <= INT32_MAX else None
        if row is None or row["party_id"] != party_id:
            raise NotFound(f"{party_id} has no API key {key_id}", code="unknown_api_key")
        if row["revoked_at"] is not None:
            raise Conflict(f"API key {key_id} is revoked", code="api_key_revoked")
        return row

    def _keyed(
        self,
        actor: PartyId,
        key: str,
        request: Any,
        work: Callable[[UnitOfWork, Party], JsonDict],
        secret: str | None,
    ) -> IssuedKey:
        logged = self.registry.journal.execute_recorded(actor, key, request, work)
        with self.store.reader() as uow:
            row = db.api_key(uow, int(logged.result["key_id"]))
        if row is None:  # pragma: no cover - written with its log row, in one transaction
            raise NotFound("the API key is gone", code="unknown_api_key")
        shown = None if logged.replayed else secret
        return IssuedKey(_public_key(row), shown, logged.replayed)

    def api_keys(
        self, actor: PartyId, party_id: PartyId, after: int = 0, limit: int = 100
    ) -> list[Row]:
        """A page of a party's keys, oldest first, after key id ``after``: never a secret."""
        limit = max(1, min(limit, API_KEYS_PER_PARTY_MAX))
        with self.store.reader() as uow:
            who = acting_party(uow, actor)
            require_self_or_admin(who, party_id, "list the API keys")
            if uow.party(party_id) is None:
                raise NotFound(f"no party {party_id}", code="unknown_party")
            rows = db.api_keys_of(uow, party_id, max(0, after), limit)
        return [_public_key(r) for r in rows]

    # ---- the audit log ---------------------------------------------------------------
    def audit(
        self, actor: PartyId, after: int = 0, limit: int = 100, party_id: PartyId | None = None
    ) -> list[Row]:
        """A page of identity events after event id ``after``, oldest first (operator)."""
        limit = max(1, min(limit, AUDIT_PAGE_MAX))
        with self.store.reader() as uow:
            require_identity_admin(acting_party(uow, actor), "read the identity audit log")
            return db.events(uow, max(0, min(after, INT64_MAX)), limit, party_id)
