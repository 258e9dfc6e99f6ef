"""Calibration and pattern-oriented validation against published figures (see
docs/validation.md).

Modules, one job each: `measures` (pure functions turning a run's tables into what a published
figure describes), `patterns` (each observed pattern declared once, with its band, source and
measure; the calibration distance), `runs` (replicated runs through the batch engine),
`calibrate` (``cogov calibrate``: search, refine, confirm), `report` (``cogov validate``:
validation.md, tables, figure), `cli` (the two subcommands).
"""
