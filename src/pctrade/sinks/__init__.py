"""Forest carbon sinks (碳汇) and the personal credits they back (PCER), as pure rules.

The path this package models is the second half of 低碳足迹—碳汇—碳排放额 (DESIGN §4):

    project registered (eligibility checks) ─▶ approved by the regulator
      ─▶ people sponsor units with green energy (their shares)
      ─▶ owner files a monitoring report per period ─▶ a verifier approves or rejects
      ─▶ the regulator issues one PCER batch: buffer share, then the rest split pro rata
         to the shares in exact grams (largest remainder), every gram recorded
      ─▶ a reported loss cancels buffer credits first; any shortfall is reported

The rules (project, monitoring, removals, attribution, evidence) are standard library
only and do no I/O beyond reading the packaged data files (the removal model and
buffer rate); ``sinks.service`` holds the use cases that store and journal,
``sinks.queries`` the reads ("my trees / my credits"), ``sinks.sql`` the tables.
"""

from __future__ import annotations
