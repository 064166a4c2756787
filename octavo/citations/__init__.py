"""Citations and the references list: parse (:mod:`.syntax`, per chapter) -> format book-wide
(:mod:`.resolve`, with pandoc's citeproc in :mod:`.engine`) -> fill the chapters' placeholders."""
