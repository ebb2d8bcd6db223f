"""What the routes call: intake, results, review, releases, uploads, rulebook validation.

Services raise domain errors (:mod:`triage.api.services.errors`), never HTTP exceptions.
"""
