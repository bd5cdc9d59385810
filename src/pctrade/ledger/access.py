"""Who may do what: the registry's access rules, checked before anything is written.

Holdings move only at the word of their holder or of a party the holder authorised
(typically its platform). Issuance, cancellation and corrections belong to the
regulator and the registry operator; regulator freezes are released only by them.

Reads follow the same rules: an account is visible to its holder, to the parties it
authorised and to the authorities; the whole journal and ``verify`` are for the
authorities. Services and ``ledger.reads`` apply these rules; entrypoints hold none.
"""

from __future__ import annotations

from collections.abc import Collection

from pctrade.kernel.errors import Forbidden
from pctrade.ledger.model import Account, Party, Role

AUTHORITIES = frozenset({Role.REGULATOR, Role.REGISTRY_OPERATOR})


def require_role(actor: Party, allowed: Collection[Role], action: str) -> None:
    if actor.role not in allowed:
        names = ", ".join(sorted(str(r) for r in allowed))
        raise Forbidden(f"{actor.party_id} ({actor.role}) may not {action}; needs: {names}")


def require_holder_or_agent(actor: Party, account: Account, agents: Collection[str]) -> None:
    """The holder, or a party it authorised, may move the account's holdings."""
    if actor.party_id == account.owner or actor.party_id in agents:
        return
    raise Forbidden(
        f"{actor.party_id} is neither the holder of account {account.number} nor authorised by it"
    )


def require_self_or_authority(actor: Party, party_id: str, action: str) -> None:
    if actor.party_id == party_id or actor.role in AUTHORITIES:
        return
    raise Forbidden(f"{actor.party_id} may not {action} for {party_id}")


def is_authority(actor: Party) -> bool:
    return actor.role in AUTHORITIES


def require_authority(actor: Party, action: str) -> None:
    require_role(actor, AUTHORITIES, action)


def require_account_reader(actor: Party, account: Account, agents: Collection[str]) -> None:
    """The holder, its agents and the authorities may read an account."""
    if not is_authority(actor):
        require_holder_or_agent(actor, account, agents)
