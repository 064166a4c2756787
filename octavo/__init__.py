"""octavo: one folder of Markdown chapters in, an EPUB 3, a print PDF and a web edition out.

The pipeline reads in the order of its modules: ``config`` (book.toml) -> ``load`` (the folder
becomes a :class:`~octavo.model.Book`) -> ``markdown`` (each chapter rendered on its own) ->
``transforms`` (numbering, cross-references, the contents tree) -> ``writers`` (one per output).
"""

__version__ = "0.1.0"
