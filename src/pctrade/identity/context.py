"""Identity as a context of the ledger: it registers its tables and no operation type.

Onboarding opens a party and account with the registry's ``open_account`` entry and
writes the login and facts beside it; nothing of identity is hashed into the journal
(personal data must stay correctable and erasable), so ``verify`` has nothing of it to
replay. The tables are registered so that migrations' tests and resets include them.
"""

from __future__ import annotations

from pctrade.identity.sql import store
from pctrade.ledger.extensions import Context

IDENTITY = Context("identity", metadata=(store.metadata,))
