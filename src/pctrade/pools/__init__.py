"""Platform pools (平台整合，间接交易, issue 14): indirect trading for every individual.

A platform opens a pool under published, versioned terms checked against the
jurisdiction's rule set (no manifestly unfair terms, 显失公平); individuals, eligible to
trade or not, deposit personal credits, which stay theirs, frozen in a ``pool`` hold;
the pool sells them through the market and pays each contributor exactly; unsold units
are withdrawn per the terms. ``model`` is the pure part (terms, rules, plans, replay
checks), ``service`` the use cases, ``queries`` the reads, ``audit`` what ``verify``
checks of the pools' tables, ``context`` what the pools register with the ledger.
"""
