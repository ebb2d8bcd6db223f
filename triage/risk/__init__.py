"""Disclosure risk of person-level data: equivalence classes, k-anonymity, l-diversity,
t-closeness, re-identification risk, special uniques, and the utility of a treated release."""
