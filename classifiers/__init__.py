"""Detectors of personal data, quasi-identifiers, sensitive attributes and free text."""
