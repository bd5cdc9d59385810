"""Who may *read* what. The services guard every write; the API guards reads here.

An account is visible to its holder, to the parties it authorised (its platform) and
to the authorities (regulator, registry operator). The whole journal and ``verify``
are for the authorities; a retirement certificate is public, being proof offered to
anyone.
"""

from __future__ import annotations

from collections.abc import Collection

from pctrade.ledger import access
from pctrade.ledger.model import Account, Party, PartyId


def is_authority(actor: Party) -> bool:
    return actor.role in access.AUTHORITIES


def require_authority(actor: Party, action: str) -> None:
    access.require_role(actor, access.AUTHORITIES, action)


def require_account_reader(actor: Party, account: Account, agents: Collection[PartyId]) -> None:
    if not is_authority(actor):
        access.require_holder_or_agent(actor, account, agents)
