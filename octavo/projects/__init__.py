"""Books written for other tools (Quarto, pandoc) read as they are, without a ``book.toml``.

:mod:`detect` finds which kind of project a folder is and hands back its settings in the shape
of ``book.toml``'s tables, so :mod:`octavo.config` checks them with the same rules; :mod:`syntax`
holds the pandoc Markdown that the parser adds for them.
"""
