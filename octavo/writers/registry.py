"""Every output octavo can write, in the order a build writes them: one line each.

A line names the output (``-f``, ``[build] formats``) and the module whose ``WRITER``
(:class:`~octavo.writers.base.Writer`) writes it. The module is imported only when its output is
built, so an EPUB build never loads WeasyPrint; this module imports nothing, so the command
line and ``book.toml`` can check output names without loading any writer. Adding an output
(AZW3, KEPUB, DOCX) is a package under ``writers/`` and a line here.
"""

from __future__ import annotations

OUTPUTS = {
    "epub": "octavo.writers.epub.writer",
    "pdf": "octavo.writers.pdf.writer",
    "azw3": "octavo.writers.azw3.writer",  # after the EPUB, which it converts when it was written
    "kepub": "octavo.writers.kepub.writer",  # the same
    "web": "octavo.writers.web.writer",  # last: the EPUB and PDF it finds become its downloads
}
FORMATS = tuple(OUTPUTS)  # every output -f and [build] formats accept
DEFAULT_FORMATS = ("epub", "pdf", "web")  # what a build writes unless told (AZW3 needs Calibre)
STYLED = DEFAULT_FORMATS  # the outputs with templates and style sheets of their own (AZW3, KEPUB: the EPUB's)
