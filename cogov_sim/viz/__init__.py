"""The browser visualiser (`cogov viz`): Solara page over matplotlib views, offline, 中文/English.

`layout` (positions, cached) · `draw` (figures) · `i18n` (words) · `session` (settings ->
runs -> frames, no UI) · `app` (the Solara page) · `cli` (`cogov viz`). The model imports
none of it. See docs/viz.md.
"""
