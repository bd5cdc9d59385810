"""The carbon-inclusive path (碳普惠): verified avoided emissions issued directly as PCER.

As Guangdong's PHCER does, a person's avoided emissions under an admitted methodology
become credits without a forest in between (DESIGN §4):

    the regulator or registry operator opens an issuance for a jurisdiction and period,
      under the rule set in force (it must admit the path and the methodologies)
      ─▶ a verifier, not the requester nor one of its affiliates, verifies the claim
      ─▶ one registry entry spends every eligible person's qualifying energy and
         issues the same grams to them as one PCER batch (``PCER-GD-CI-2026Q3-001``)

Which energy qualifies (``claim``) is defined on the energy ledger's own rule that
energy is consumed oldest first, so that the path and sink sponsorship draw on one
pool that is spent once. Pure rules only; ``services.inclusive`` stores and journals.
"""
