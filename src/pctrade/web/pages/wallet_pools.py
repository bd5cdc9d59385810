"""The wallet's sponsoring and pool-leaving forms (``/web/wallet``, beside ``wallet``).

Each posts to the service the API's route calls, with the form's idempotency key, and
answers with the wallet again (``wallet.wallet_post``: the notice, or the refusal's code
with nothing written):

    POST /wallet/sponsor   spend green energy on sink units  Sinks.sponsor
    POST /wallet/notice    give notice of withdrawal          Pools.give_notice
    POST /wallet/withdraw  withdraw unsold units from a pool  Pools.withdraw
    POST /wallet/consent   move my deposits to newer terms    Pools.consent

The pools refuse what the terms forbid (``pool_units_locked`` inside the lock-in or
before the notice has run, ``pool_units_sold``, ``nothing_to_consent``, …); the wallet
shows, before any post, the earliest date a withdrawal can be made
(``pools.queries.pool_standing``).
"""

from __future__ import annotations

from fastapi import APIRouter

from pctrade.pools import commands as pc
from pctrade.web.pages import form_fields as f
from pctrade.web.pages.wallet import Notice, Posted, wallet_post

router = APIRouter()


@wallet_post(router, "/wallet/sponsor")
def sponsor(form: Posted) -> Notice:
    code = f.required(form.fields, "project")
    units = f.whole_number(form.fields, "units")
    done = form.app.sinks.sponsor(form.actor, form.key, form.account, code, units)
    values = {"project": code, "units": units, "energy_g": done.energy_g}
    return Notice("sponsored", values, done.replayed)


@wallet_post(router, "/wallet/notice")
def give_notice(form: Posted) -> Notice:
    pool = f.required(form.fields, "pool")
    logged = form.app.pools.give_notice(form.actor, form.key, pool, form.account)
    values = {"pool": pool, "given_at": logged.result["given_at"]}
    return Notice("notice_given", values, logged.replayed)


@wallet_post(router, "/wallet/withdraw")
def withdraw(form: Posted) -> Notice:
    pool = f.required(form.fields, "pool")
    grams = f.whole_number(form.fields, "quantity_g")
    cmd = pc.WithdrawFromPool(pool, form.account, grams)
    receipt = form.app.pools.withdraw(form.actor, form.key, cmd)
    return Notice("withdrawn", {"pool": pool, "quantity_g": grams}, receipt.replayed)


@wallet_post(router, "/wallet/consent")
def consent(form: Posted) -> Notice:
    pool = f.required(form.fields, "pool")
    version = f.whole_number(form.fields, "version")
    cmd = pc.ConsentToTerms(pool, form.account, version)
    receipt = form.app.pools.consent(form.actor, form.key, cmd)
    return Notice("consented", {"pool": pool, "version": version}, receipt.replayed)
