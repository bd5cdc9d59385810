"""``pctrade registry …``: every registry operation and read, from a shell.

Each write names its acting party (``--as``, default the registry operator) and an
idempotency key (``--key``; generated and printed when omitted, so that a retry after a
lost connection can reuse it and never applies twice). Quantities take units —
``1.5t``, ``250kg``, ``80g`` for carbon, ``12.30yuan``, ``1230fen`` for money, a bare
number being grams or fen — and accounts are given by id (``1000``) or by number
(``IND-0000001000``). Access rules, validation and invariants are the services' job;
this module only turns text into commands and receipts into text.
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from pctrade.cli import render
from pctrade.cli.common import (
    ActorOption,
    CursorOption,
    DbOption,
    KeyOption,
    LimitOption,
    console,
    guarded,
    idempotency_key,
    open_app,
    open_store,
    print_next,
)
from pctrade.export import BatchTotals, batch_totals
from pctrade.kernel.errors import ValidationError
from pctrade.kernel.paging import decode_cursor
from pctrade.kernel.units import parse_carbon_g, parse_money_fen
from pctrade.ledger import commands as c
from pctrade.ledger import queries
from pctrade.ledger.model import (
    CASH_ASSET,
    CASH_NAME,
    SYSTEM_OWNER,
    Role,
    is_cash,
    parse_account_ref,
)
from pctrade.ledger.model import asset_names as model_asset_names
from pctrade.ledger.operations import FreezeReason, Retirement
from pctrade.ledger.service import Receipt, Registry
from pctrade.ledger.sql.store import SqlStore

ISSUE_FILE_ROWS_MAX = 50_000_000

app = typer.Typer(
    help="登记簿操作 Registry operations: open, issue, move, freeze, retire, read.",
    no_args_is_help=True,
)

AccountArg = Annotated[str, typer.Argument(help="Account id or number (IND-0000001000).")]
AssetOption = Annotated[
    str, typer.Option("--asset", "-a", help="Batch denomination, or CNY for cash.")
]
QuantityOption = Annotated[
    str, typer.Option("--quantity", "-q", help="e.g. 1.5t, 250kg, 80g (cash: 12.30yuan).")
]


def quantity_of(asset: str, text: str) -> int:
    """Cash amounts are fen, everything else grams CO2e."""
    return parse_money_fen(text) if is_cash(asset) else parse_carbon_g(text)


def _write(
    db: str | None,
    actor: str,
    key: str | None,
    call: Callable[[Registry, str], Receipt],
) -> Receipt:
    """Open the store, run one write under an idempotency key, print its receipt."""
    with guarded(), open_app(db) as opened:
        result = call(opened.registry, idempotency_key(key))
    console.print(render.receipt(result))
    return result


@app.command("open-account")
def open_account(
    party_id: Annotated[str, typer.Argument(help="New party's id, e.g. alice.")],
    role: Annotated[Role, typer.Option(help="The party's role.")] = Role.INDIVIDUAL,
    name: Annotated[str, typer.Option(help="Display name, e.g. 张伟.")] = "",
    label: Annotated[str, typer.Option(help="Account label.")] = "",
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Register a party and open its account (开户)."""
    cmd = c.OpenAccount(party_id, role, name, label)
    r = _write(db, actor, key, lambda reg, k: reg.open_account(actor, k, cmd))
    if "account" in r.payload:
        console.print(f"account 账户: {r.payload['account']}")


@app.command()
def authorize(
    account: AccountArg,
    agent: Annotated[str, typer.Argument(help="Party that may act for the account.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Withdraw the grant.")] = False,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Authorise an agent (e.g. a platform) to act for an account (授权)."""
    with guarded():
        cmd = c.Authorize(parse_account_ref(account), agent, not revoke)
    _write(db, actor, key, lambda reg, k: reg.authorize(actor, k, cmd))


def read_allocations(
    path: Path, parse: Callable[[str], int] = parse_carbon_g
) -> tuple[array[int], array[int]]:
    """Read ``account,quantity`` rows (a header row is allowed) into two int64 columns.

    A bare integer is taken in the asset's unit (g, or fen for CNY); anything else
    goes through ``parse`` (e.g. ``1.5t``, ``12.30yuan``).
    """
    ids, amounts = array("q"), array("q")
    try:
        with path.open(newline="", encoding="utf-8") as f:
            for line_no, row in enumerate(csv.reader(f), start=1):
                if not row or (line_no == 1 and not row[0].strip()[-1:].isdigit()):
                    continue  # blank line, or the header
                if len(row) != 2:
                    raise ValidationError(
                        f"{path.name} line {line_no}: expected account,quantity", code="bad_file"
                    )
                if len(ids) >= ISSUE_FILE_ROWS_MAX:
                    raise ValidationError("too many rows in the issue file", code="too_many")
                ids.append(parse_account_ref(row[0]))
                text = row[1].strip()
                amounts.append(int(text) if text.isdigit() else parse(text))
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}", code="bad_file") from exc
    return ids, amounts


@app.command()
def issue(
    denomination: Annotated[
        str,
        typer.Argument(
            help="e.g. PCER-GD-AFF0007-2026Q3-001, or the series PCER-GD-AFF0007-2026Q3:"
            " the registry assigns its next serial."
        ),
    ],
    to: Annotated[str | None, typer.Option("--to", help="Single recipient account.")] = None,
    quantity: Annotated[str | None, typer.Option("--quantity", "-q", help="e.g. 10t.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="CSV of account,quantity for bulk issuance.")
    ] = None,
    methodology: Annotated[
        str | None,
        typer.Option(
            "--methodology", help="What the units were credited under, e.g. CCER-14-001-V01."
        ),
    ] = None,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Issue a new batch (签发) to one account or, from a CSV file, to many at once."""
    with guarded():
        if (file is None) == (to is None):
            raise ValidationError("give either --to with --quantity, or --file", code="bad_request")
        if file is not None:
            ids, amounts = read_allocations(file)
        else:
            if quantity is None:
                raise ValidationError("--to needs --quantity", code="missing_field")
            ids = array("q", [parse_account_ref(to or "")])
            amounts = array("q", [parse_carbon_g(quantity)])
        cmd = c.Issue(denomination, ids, amounts, methodology)
    r = _write(db, actor, key, lambda reg, k: reg.issue(actor, k, cmd))
    batch = r.payload["batch"]
    console.print(
        f"batch 批次: {batch['denomination']} (asset {batch['asset_id']}) · "
        f"{render.carbon(int(batch['issued_g']))} to {r.payload['recipients']} account(s)"
    )


@app.command()
def transfer(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Paying account.")],
    target: Annotated[str, typer.Argument(metavar="TO", help="Receiving account.")],
    asset: AssetOption,
    quantity: QuantityOption,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Transfer available units or cash between accounts (转让)."""
    with guarded():
        cmd = c.Transfer(
            parse_account_ref(source),
            parse_account_ref(target),
            asset,
            quantity_of(asset, quantity),
        )
    _write(db, actor, key, lambda reg, k: reg.transfer(actor, k, cmd))


@app.command()
def distribute(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Paying account.")],
    asset: AssetOption,
    file: Annotated[Path, typer.Option("--file", help="CSV of account,amount (one per payee).")],
    reference: Annotated[str, typer.Option(help="What is paid out, e.g. a pool sale.")],
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Pay many accounts from one in a single entry (分配, e.g. a pool's payout)."""
    with guarded():
        ids, amounts = read_allocations(file, lambda text: quantity_of(asset, text))
        cmd = c.Distribute(parse_account_ref(source), asset, ids, amounts, reference)
    r = _write(db, actor, key, lambda reg, k: reg.distribute(actor, k, cmd))
    total = int(r.payload["quantity"])
    amount = render.amount_text(CASH_NAME if is_cash(asset) else asset, total)
    console.print(f"paid 已分配: {amount} to {r.payload['recipients']} account(s)")


@app.command()
def freeze(
    account: AccountArg,
    asset: AssetOption,
    quantity: QuantityOption,
    reason: Annotated[FreezeReason, typer.Option(help="Why the units are held.")],
    reference: Annotated[str, typer.Option(help="Order, pool, pledge or case reference.")],
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Freeze available units (冻结); the entry's seq is the hold id."""
    with guarded():
        cmd = c.Freeze(
            parse_account_ref(account), asset, quantity_of(asset, quantity), reason, reference
        )
    r = _write(db, actor, key, lambda reg, k: reg.freeze(actor, k, cmd))
    console.print(f"hold 冻结编号: {r.seq}")


@app.command()
def unfreeze(
    hold_id: Annotated[int, typer.Argument(help="Hold id (the freeze entry's seq).")],
    quantity: Annotated[
        str | None, typer.Option("--quantity", "-q", help="Part to release; all by default.")
    ] = None,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Release a hold, in whole or in part (解冻)."""
    with guarded():
        amount = None
        if quantity is not None:
            amount = _hold_quantity(db, hold_id, quantity)
        cmd = c.Unfreeze(hold_id, amount)
    _write(db, actor, key, lambda reg, k: reg.unfreeze(actor, k, cmd))


def _hold_quantity(db: str | None, hold_id: int, text: str) -> int:
    """Read a release amount in the hold's own unit (fen for cash, grams for credits)."""
    with open_store(db).reader() as uow:
        hold = uow.hold(hold_id)
    is_cash = hold is not None and hold.asset_id == CASH_ASSET
    return parse_money_fen(text) if is_cash else parse_carbon_g(text)


@app.command()
def surrender(
    account: AccountArg,
    asset: AssetOption,
    quantity: QuantityOption,
    period: Annotated[str, typer.Option(help="Compliance period, e.g. 2025.")],
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Surrender units for compliance (清缴); key emitters only."""
    with guarded():
        cmd = c.Surrender(parse_account_ref(account), asset, parse_carbon_g(quantity), period)
    _write(db, actor, key, lambda reg, k: reg.surrender(actor, k, cmd))


@app.command()
def retire(
    account: AccountArg,
    asset: AssetOption,
    quantity: QuantityOption,
    beneficiary: Annotated[str, typer.Option(help="On whose behalf (受益人).")],
    reason: Annotated[str, typer.Option(help="Why (原因), up to 512 characters.")],
    jurisdiction: Annotated[str, typer.Option(help="ISO 3166-2, e.g. CN-GD.")] = "",
    period: Annotated[str, typer.Option(help="Consumption period, e.g. 2026-10.")] = "",
    publish_beneficiary: Annotated[
        bool,
        typer.Option(
            "--publish-beneficiary",
            help="Show the beneficiary on the public certificate (withheld by default).",
        ),
    ] = False,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Retire units voluntarily (自愿注销) and print the certificate."""
    with guarded():
        retirement = Retirement(beneficiary, reason, jurisdiction, period, publish_beneficiary)
        cmd = c.Retire(parse_account_ref(account), asset, parse_carbon_g(quantity), retirement)
    r = _write(db, actor, key, lambda reg, k: reg.retire(actor, k, cmd))
    with guarded():
        console.print(render.certificate(queries.certificate(open_store(db), r.seq)))


@app.command()
def cancel(
    account: AccountArg,
    asset: AssetOption,
    quantity: QuantityOption,
    reason: Annotated[str, typer.Option(help="Why the regulator cancels them.")],
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Cancel units (注销, regulator or registry only), e.g. after a reversal."""
    with guarded():
        cmd = c.Cancel(parse_account_ref(account), asset, parse_carbon_g(quantity), reason)
    _write(db, actor, key, lambda reg, k: reg.cancel(actor, k, cmd))


AmountArg = Annotated[str, typer.Argument(help="e.g. 12.30yuan or 1230fen.")]
ReferenceOption = Annotated[str, typer.Option(help="Bank or payment reference.")]


@app.command()
def deposit(
    account: AccountArg,
    amount: AmountArg,
    reference: ReferenceOption,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Record a confirmed cash deposit (入金)."""
    with guarded():
        cmd = c.Deposit(parse_account_ref(account), parse_money_fen(amount), reference)
    _write(db, actor, key, lambda reg, k: reg.deposit(actor, k, cmd))


@app.command()
def withdraw(
    account: AccountArg,
    amount: AmountArg,
    reference: ReferenceOption,
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Withdraw cash to the holder's bank (出金)."""
    with guarded():
        cmd = c.Withdraw(parse_account_ref(account), parse_money_fen(amount), reference)
    _write(db, actor, key, lambda reg, k: reg.withdraw(actor, k, cmd))


@app.command()
def correct(
    seq: Annotated[int, typer.Argument(help="The entry to reverse.")],
    reason: Annotated[str, typer.Option(help="Why it is corrected.")],
    db: DbOption = None,
    actor: ActorOption = SYSTEM_OWNER,
    key: KeyOption = None,
) -> None:
    """Reverse a transfer, deposit or withdrawal with a compensating entry (更正)."""
    cmd = c.Correct(seq, reason)
    _write(db, actor, key, lambda reg, k: reg.correct(actor, k, cmd))


# ---- account status (authorities) ----------------------------------------------------
ReasonOption = Annotated[str, typer.Option("--reason", "-r", help="Why; recorded in the journal.")]


def _set_status(
    account: str, label: str, reason: str, db: str | None, actor: str, key: str | None
) -> None:
    with guarded():
        cmd = c.SetAccountStatus(parse_account_ref(account), label, reason)
    _write(db, actor, key, lambda reg, k: reg.set_account_status(actor, k, cmd))


# One command per status an authority sets; they differ only in the status and the help.
_STATUS_COMMANDS = (
    (
        "block",
        "blocked",
        "Block an account: nothing leaves it at its holder's word; it still receives (限制转出).",
    ),
    (
        "suspend",
        "suspended",
        "Suspend an account: nothing leaves or enters it at a holder's word (暂停).",
    ),
    (
        "close",
        "closed",
        "Close an account for good; only when it holds nothing available or frozen (销户).",
    ),
    (
        "reopen",
        "open",
        "Lift a block or a suspension: the account is open again (a closed one stays closed).",
    ),
)


def _status_command(label: str) -> Callable[..., None]:
    def command(
        account: AccountArg,
        reason: ReasonOption,
        db: DbOption = None,
        actor: ActorOption = SYSTEM_OWNER,
        key: KeyOption = None,
    ) -> None:
        _set_status(account, label, reason, db, actor, key)

    return command


for _name, _label, _help in _STATUS_COMMANDS:
    app.command(_name, help=_help)(_status_command(_label))


# ---- reads ---------------------------------------------------------------------------
@app.command("account")
def show_account(account: AccountArg, db: DbOption = None) -> None:
    """Show an account's status, balances, open holds and agents."""
    with guarded():
        view = queries.account_view(open_store(db), parse_account_ref(account))
    console.print(render.account(view))


@app.command("journal")
def show_journal(
    after: Annotated[int, typer.Option(help="Show entries after this seq.")] = 0,
    cursor: CursorOption = None,
    limit: LimitOption = 50,
    account: Annotated[
        str | None, typer.Option(help="Only entries that touch this account.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Page through the journal (日记账)."""
    with guarded():
        key = decode_cursor("journal", cursor, (int,))
        start = after if key is None else int(key[0])
        account_id = None if account is None else parse_account_ref(account)
        store = open_store(db)
        page = queries.journal_page(store, start, limit, account_id)
        names = asset_names(store)
    console.print(render.journal(page.items, names))
    print_next("journal", page)


@app.command("head")
def show_head(db: DbOption = None) -> None:
    """The journal's newest entry: its seq and hash (日记账最新条目)."""
    with guarded():
        head = queries.journal_head(open_store(db))
    console.print(f"seq {head.seq} · {head.ts}\nhash {head.hash}")


@app.command("positions")
def show_positions(
    accounts: Annotated[list[str], typer.Argument(help="Account ids or numbers.")],
    as_of: Annotated[
        int | None, typer.Option("--as-of", help="Journal seq (default: the head).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Several accounts' balances and holds at one journal position (持仓快照)."""
    with guarded():
        ids = [parse_account_ref(a) for a in accounts]
        found = queries.positions(open_store(db), ids, as_of)
    console.print(f"as of 截至 seq {found.at.seq} · hash {found.at.hash}")
    for p in found.accounts:
        console.print(render.account(queries.AccountView(p.account, p.holdings, p.holds, [])))


def asset_names(store: SqlStore) -> dict[int, str]:
    with store.reader() as uow:
        return model_asset_names(uow.batches())


@app.command("entry")
def show_entry(
    seq: Annotated[int, typer.Argument(help="Journal seq.")], db: DbOption = None
) -> None:
    """Show one journal entry with its postings and hashes."""
    with guarded():
        entry, detail = queries.entry_detail(open_store(db), seq)
    console.print(render.entry(entry, detail))


@app.command("certificate")
def show_certificate(
    ref: Annotated[str, typer.Argument(help="Seq of a retire entry, or a certificate id (RC-…).")],
    public: Annotated[
        bool, typer.Option("--public", help="Show only what the public certificate shows.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Show a retirement certificate (注销证明): in full, or as the public sees it."""
    with guarded():
        store = open_store(db)
        if ref.isdigit():
            cert = queries.certificate(store, int(ref))
            cert = cert.public() if public else cert
        else:
            cert = queries.public_certificate(store, ref)
    console.print(render.certificate(cert))


@app.command("batches")
def show_batches(cursor: CursorOption = None, limit: LimitOption = 50, db: DbOption = None) -> None:
    """Batches with their units by state (签发/可用/冻结/清缴/注销), a page at a time."""
    with guarded():
        key = decode_cursor("batches", cursor, (int,))
        page = batch_totals(open_store(db), 0 if key is None else int(key[0]), limit)
    console.print(render.batches(page.items))
    print_next("batches", page)


@app.command("supply")
def show_supply(
    denomination: Annotated[str, typer.Argument(help="Batch denomination.")],
    db: DbOption = None,
) -> None:
    """One batch's grams by state, read in one snapshot: they sum to what was issued."""
    with guarded():
        found = queries.supply(open_store(db), denomination)
    totals = BatchTotals(
        found.batch.asset_id, found.batch.name, found.batch.issued_g, found.by_state
    )
    console.print(render.batches([totals]))
    console.print(f"[dim]as of 截至 seq {found.at.seq}[/dim]")
