"""The print PDF: each unit laid out by WeasyPrint on its own, page numbers stamped on, then joined.

Layers: ``units`` (HTML of each unit) -> ``layout`` (WeasyPrint, in worker processes) -> ``pages``
(page numbers) -> ``folios`` -> ``merge`` (one PDF). ``writer`` drives them.
"""
