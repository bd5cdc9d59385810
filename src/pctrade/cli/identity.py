"""``pctrade identity …``: logins, onboarding, real-name facts, tokens, API keys, audit.

A new deployment starts here, with no Python shell: ``pctrade identity init-operator``
gives the registry operator its first login; from then on the operator (over the API,
or here with ``--as registry``) creates logins, platforms onboard their individuals,
partners get API keys. Passwords are never taken from the command line (a shell keeps
its history, and ``ps`` shows arguments to everyone): they come from
``$PCTRADE_PASSWORD`` (and ``$PCTRADE_OLD_PASSWORD`` for a change), or from a prompt
that does not echo. An API key's secret is printed once, when it is made or rotated.

As in ``pctrade registry``, ``--as`` names the acting party, whose role the identity
rules check, and ``--key`` the idempotency key of a write.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from pctrade.cli import render
from pctrade.cli.common import (
    ActorOption,
    DbOption,
    KeyOption,
    console,
    guarded,
    idempotency_key,
    open_app,
)
from pctrade.identity import commands as ic
from pctrade.identity.model import (
    AUDIT_PAGE_MAX,
    Facts,
    RiskLevel,
    VerificationMethod,
)
from pctrade.identity.service import Identity, IssuedKey
from pctrade.kernel.errors import ValidationError
from pctrade.ledger.model import SYSTEM_OWNER, Role

ENV_PASSWORD = "PCTRADE_PASSWORD"
ENV_OLD_PASSWORD = "PCTRADE_OLD_PASSWORD"

app = typer.Typer(
    help="身份与访问 Identity: logins, onboarding, real-name facts, tokens, API keys, audit.",
    no_args_is_help=True,
)
keys_app = typer.Typer(
    help="API keys of a partner: create, list, rotate, revoke.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")

UsernameArg = Annotated[str, typer.Argument(help="The login's username.")]
PartyArg = Annotated[str, typer.Argument(help="The party's id.")]
KeyIdArg = Annotated[int, typer.Argument(help="The API key's id (see `keys list`).")]


def _identity(db: str | None) -> Identity:
    return open_app(db).identity


def _password(env: str, prompt: str, *, confirm: bool) -> str:
    """A password from ``$env``, or asked for without echo; never an argument."""
    given = os.environ.get(env)
    if given:
        return given
    text: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return text


def _date(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"{what}: not a date: {text!r}", code="bad_date") from exc


def _facts(
    verified_on: str | None,
    method: VerificationMethod | None,
    birth_date: str | None,
    risk_level: RiskLevel | None,
    risk_assessed_on: str | None,
    credit_code: str | None,
    net_assets_fen: int | None,
) -> Facts:
    return Facts(
        real_name_verified=verified_on is not None,
        real_name_verified_on=_date(verified_on, "--verified-on"),
        real_name_method=method,
        risk_level=risk_level,
        risk_assessed_on=_date(risk_assessed_on, "--risk-assessed-on"),
        birth_date=_date(birth_date, "--birth-date"),
        credit_code=credit_code,
        net_assets_fen=net_assets_fen,
    )


VerifiedOn = Annotated[
    str | None, typer.Option(help="When the real name was verified (YYYY-MM-DD).")
]
MethodOpt = Annotated[
    VerificationMethod | None, typer.Option("--method", help="How the real name was verified.")
]
BirthDate = Annotated[str | None, typer.Option(help="Date of birth (individuals).")]
RiskOpt = Annotated[RiskLevel | None, typer.Option(help="Risk assessment result, C1-C5.")]
RiskOn = Annotated[str | None, typer.Option(help="When the risk was assessed (YYYY-MM-DD).")]
CreditCode = Annotated[
    str | None, typer.Option(help="统一社会信用代码 (institutions).", show_default=False)
]
NetAssets = Annotated[int | None, typer.Option(help="Net assets in fen (institutions).")]


# ---- logins ----------------------------------------------------------------------------
@app.command("init-operator")
def init_operator(username: UsernameArg, db: DbOption = None) -> None:
    """The registry operator's first login, on a new deployment (refused once it has one)."""
    password = _password(ENV_PASSWORD, "Password 密码", confirm=True)
    with guarded():
        _identity(db).init_operator(username, password)
    console.print(f"[green]✓[/green] login {username} → party {SYSTEM_OWNER} (registry operator)")


@app.command("create-login")
def create_login(
    username: UsernameArg,
    party: Annotated[str, typer.Option("--party", help="The party it acts for.")],
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Give a party a login (registry operator); its holder changes the password."""
    password = _password(ENV_PASSWORD, "Password 密码", confirm=True)
    with guarded():
        cmd = ic.CreateLogin(username, party, password)
        result = _identity(db).create_login(actor, idempotency_key(key), cmd)
    note = " (replayed)" if result["replayed"] else ""
    console.print(f"[green]✓[/green] login {username} → party {party}{note}")


@app.command()
def password(username: UsernameArg, db: DbOption = None) -> None:
    """Change a login's password (the current one required); its party's tokens end."""
    old = _password(ENV_OLD_PASSWORD, "Current password 当前密码", confirm=False)
    new = _password(ENV_PASSWORD, "New password 新密码", confirm=True)
    with guarded():
        _identity(db).change_password_offline(username, old, new)
    console.print(f"[green]✓[/green] password changed for {username}; its sessions ended")


@app.command("revoke-tokens")
def revoke_tokens(party: PartyArg, db: DbOption = None, actor: ActorOption = SYSTEM_OWNER) -> None:
    """End every session (bearer token) of a party."""
    with guarded():
        revoked = _identity(db).revoke_tokens(actor, party)
    console.print(f"[green]✓[/green] {revoked} tokens of {party} revoked")


# ---- onboarding and facts --------------------------------------------------------------
@app.command()
def onboard(
    party_id: PartyArg,
    username: Annotated[str, typer.Option("--username", help="Their login's username.")],
    role: Annotated[Role, typer.Option(help="individual or institution.")] = Role.INDIVIDUAL,
    name: Annotated[str, typer.Option(help="Real name, e.g. 王伟.")] = "",
    label: Annotated[str, typer.Option(help="Account label.")] = "",
    verified_on: VerifiedOn = None,
    method: MethodOpt = None,
    birth_date: BirthDate = None,
    risk_level: RiskOpt = None,
    risk_assessed_on: RiskOn = None,
    credit_code: CreditCode = None,
    net_assets_fen: NetAssets = None,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Sign a person or institution up: party, account, login and real-name facts (开户)."""
    password = _password(ENV_PASSWORD, "Their first password 初始密码", confirm=True)
    with guarded():
        facts = _facts(
            verified_on, method, birth_date, risk_level, risk_assessed_on, credit_code,
            net_assets_fen,
        )  # fmt: skip
        cmd = ic.Onboard(party_id, role, name, username, password, facts, label)
        receipt = _identity(db).onboard(actor, idempotency_key(key), cmd)
    console.print(render.receipt(receipt))
    if "account" in receipt.payload:
        console.print(f"account 账户: {receipt.payload['account']} · login {username}")


@app.command("record-facts")
def record_facts(
    party_id: PartyArg,
    verified_on: VerifiedOn = None,
    method: MethodOpt = None,
    birth_date: BirthDate = None,
    risk_level: RiskOpt = None,
    risk_assessed_on: RiskOn = None,
    credit_code: CreditCode = None,
    net_assets_fen: NetAssets = None,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Record a party's real-name facts as they are now (they replace the earlier ones)."""
    with guarded():
        facts = _facts(
            verified_on, method, birth_date, risk_level, risk_assessed_on, credit_code,
            net_assets_fen,
        )  # fmt: skip
        identity = _identity(db)
        identity.record_facts(actor, idempotency_key(key), ic.RecordFacts(party_id, facts))
        row = identity.facts(actor, party_id)
    console.print(_facts_table(row))


@app.command("facts")
def show_facts(party_id: PartyArg, db: DbOption = None, actor: ActorOption = SYSTEM_OWNER) -> None:
    """A party's real-name facts (the person, their platform and the authorities only)."""
    with guarded():
        row = _identity(db).facts(actor, party_id)
    console.print(_facts_table(row))


def _facts_table(row: dict[str, Any]) -> Table:
    table = Table(title=f"实名信息 Real-name facts · {row['party_id']}", title_justify="left")
    table.add_column("fact")
    table.add_column("value")
    for name, value in row.items():
        if name != "party_id":
            table.add_row(name, "—" if value is None else str(value))
    return table


# ---- API keys --------------------------------------------------------------------------
def _print_key(issued: IssuedKey) -> None:
    k = issued.key
    console.print(f"key {k['key_id']} of {k['party_id']} ({k['label'] or 'no label'})")
    if issued.secret is not None:
        console.print("secret, shown this once 密钥（仅显示一次）:")
        console.print(issued.secret, soft_wrap=True)
    else:
        console.print("[yellow]replayed: the secret was shown when the key was made[/yellow]")


@keys_app.command("create")
def create_key(
    party: PartyArg,
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """A new API key for a partner; its secret is printed once."""
    with guarded():
        cmd = ic.CreateApiKey(party, label)
        _print_key(_identity(db).create_api_key(actor, idempotency_key(key), cmd))


@keys_app.command("list")
def list_keys(
    party: PartyArg,
    after: Annotated[int, typer.Option(help="List keys after this id.")] = 0,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
) -> None:
    """A partner's API keys, revoked ones too (never a secret)."""
    with guarded():
        rows = _identity(db).api_keys(actor, party, after)
    table = Table(title=f"API keys · {party}", title_justify="left")
    for column in ("id", "shown", "label", "created", "rotated", "revoked"):
        table.add_column(column)
    for r in rows:
        cells = (r["created_at"], r["rotated_at"], r["revoked_at"])
        table.add_row(str(r["key_id"]), r["shown"] + "…", r["label"], *(c or "—" for c in cells))
    console.print(table)


@keys_app.command("rotate")
def rotate_key(
    party: PartyArg,
    key_id: KeyIdArg,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """A new secret for the key, printed once; the old one stops working now."""
    with guarded():
        cmd = ic.RotateApiKey(party, key_id)
        _print_key(_identity(db).rotate_api_key(actor, idempotency_key(key), cmd))


@keys_app.command("revoke")
def revoke_key(
    party: PartyArg,
    key_id: KeyIdArg,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """The key stops working for good."""
    with guarded():
        cmd = ic.RevokeApiKey(party, key_id)
        _identity(db).revoke_api_key(actor, idempotency_key(key), cmd)
    console.print(f"[green]✓[/green] key {key_id} of {party} revoked")


# ---- the audit log ---------------------------------------------------------------------
@app.command()
def audit(
    after: Annotated[int, typer.Option(help="Events after this id (the last one shown).")] = 0,
    limit: Annotated[int, typer.Option(help=f"Events per page (≤ {AUDIT_PAGE_MAX}).")] = 100,
    party: Annotated[str | None, typer.Option(help="Only this party's events.")] = None,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
) -> None:
    """The identity audit log, oldest first (registry operator)."""
    with guarded():
        rows = _identity(db).audit(actor, after, limit, party)
    table = Table(title="身份审计 Identity audit log", title_justify="left")
    for column in ("id", "time (UTC)", "event", "actor", "party", "username", "client", "detail"):
        table.add_column(column, overflow="fold")
    for r in rows:
        cells = (r["actor"], r["party_id"], r["username"], r["client"], r["detail"])
        table.add_row(str(r["event_id"]), r["ts"], r["event"], *(c or "—" for c in cells))
    console.print(table)
    if len(rows) == max(1, min(limit, AUDIT_PAGE_MAX)):
        console.print(f"[dim]more: --after {rows[-1]['event_id']}[/dim]")
