"""The header's links: the pages a signed-in user's role works in, then everyone's.

Labels are catalogue message ids (translated when the header is rendered).
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.ledger.model import Role
from pctrade.web.i18n import N_
from pctrade.web.session import WebUser


@dataclass(frozen=True, slots=True)
class NavLink:
    path: str  # under the web app's root
    label: str  # a message id
    roles: frozenset[Role]  # who sees it; empty: everyone


NAV = (
    NavLink("/wallet", N_("My wallet"), frozenset({Role.INDIVIDUAL})),
    NavLink("/platform", N_("Platform console"), frozenset({Role.PLATFORM})),
    NavLink("/desk", N_("Emitter desk"), frozenset({Role.EMITTER})),
    NavLink("/regulator", N_("Regulator console"), frozenset({Role.REGULATOR})),
    NavLink("/market", N_("Market"), frozenset()),
    NavLink("/", N_("Transparency"), frozenset()),
)


def links_for(user: WebUser | None) -> list[NavLink]:
    return [
        link for link in NAV if not link.roles or (user is not None and user.role in link.roles)
    ]
