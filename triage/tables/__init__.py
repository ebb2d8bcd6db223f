"""Aggregate tables: recognition, primary and secondary cell suppression, rounding, and
differencing between overlapping tables."""
