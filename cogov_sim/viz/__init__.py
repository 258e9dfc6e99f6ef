"""The browser visualiser (`cogov viz`): a Solara page comparing two runs side by side --
plotly charts served offline, a numpy-drawn network, 中文/English.

`sides` (what each side runs) · `session` (settings -> runs -> frames, no UI) · `readouts`,
`charts`, `raster`, `why` (what the page shows) · `lesson` · `i18n` (words) · `app` (the
Solara page) · `cli` (`cogov viz`). The model imports none of it. See docs/viz.md.
"""
