"""The pure check of tabular data, one module per stage over an explicit state.

``state`` (what the stages pass along), ``classify``, ``link``, ``measure``, ``decide``,
``treat``, ``recheck``, ``combine`` (the one merge, the one settle) and ``engine`` (the
pipeline composed). No file, environment or clock access here.
"""
