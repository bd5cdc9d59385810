"""Messages the web pages show that other modules wrote: the domain's error messages.

The pages translate an error's message through the catalogue when it has an entry; the
messages listed here are marked for extraction so that ``pybabel extract`` keeps their
entries (add one when a page shows a new message to people).
"""

from __future__ import annotations

from pctrade.web.i18n import N_

DOMAIN_MESSAGES = (
    N_("wrong username or password"),
    N_("this form has expired or did not come from this site: reload it and try again"),
    N_("the form carries no idempotency key"),
)
