"""Messages the web pages show that extraction cannot see where they are shown.

The domain's error messages: the pages translate an error's message through the
catalogue when it has an entry. And the words a page passes through ``_()`` as a value
(``_(done.what)``, ``_(status)``, ``_(finding.kind)``): a notice's label, a status, an
enum's value. Both are marked here for extraction, so that ``pybabel extract`` keeps
their entries and ``pybabel update`` does not make them obsolete (add one when a page
shows a new such message to people).
"""

from __future__ import annotations

from pctrade.web.i18n import N_

DOMAIN_MESSAGES = (
    N_("wrong username or password"),
    N_("this form has expired or did not come from this site: reload it and try again"),
    N_("the form carries no idempotency key"),
)

# What a console form did (``outcome.Done.what``) and a tab's name.
NOTICES = (
    N_("Order placed"),
    N_("Block trade accepted"),
    N_("Bid submitted"),
    N_("Units surrendered"),
    N_("Allocation run recorded"),
    N_("Project approved"),
    N_("PCER issued"),
    N_("Event released"),
    N_("Event rejected"),
    N_("Rules and caps"),
    N_("Sales of the pool"),
    N_("Sold at"),
)
# States, kinds and decisions the domain names, shown translated.
VALUES = (
    N_("available"),
    N_("frozen"),
    N_("surrendered"),
    N_("retired"),
    N_("cancelled"),
    N_("filled"),
    N_("partially_filled"),
    N_("cleared"),
    N_("uniform"),
    N_("discriminatory"),
    N_("verified"),
    N_("pending"),
    N_("rejected"),
    N_("free"),
    N_("preallocation"),
    N_("true_up"),
    N_("book"),
    N_("block"),
    N_("auction"),
    N_("implausible_speed"),
    N_("release"),
    N_("reject"),
    N_("concentration"),
    N_("wash_trade"),
    N_("layering"),
    N_("price_spike"),
)
