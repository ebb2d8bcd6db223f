"""Mosaic (aggregation) risk: column profiles and release fingerprints, linkage within a
submission and against the register, and new versions of a registered release."""
