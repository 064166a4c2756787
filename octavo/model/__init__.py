"""The plain values every stage hands the next: no I/O, and no import of any stage.

``book`` (the loaded book), ``rendered`` (a chapter as rendering leaves it), ``contents`` (the
contents tree and the pages in reading order) and ``assembled`` (what every writer reads).
"""

from octavo.model.assembled import Assembled, BuildResult, PrintPage, XRefIndex
from octavo.model.book import Book, Chapter, Kind, Part, Source
from octavo.model.citations import Citation, CiteItem
from octavo.model.contents import Page, TocEntry
from octavo.model.rendered import CrossRef, Heading, RemoteImage, RenderedChapter, Target, XRef

__all__ = ["Assembled", "Book", "BuildResult", "Chapter", "Citation", "CiteItem", "CrossRef", "Heading", "Kind", "Page",
           "Part", "PrintPage", "RemoteImage", "RenderedChapter", "Source", "Target", "TocEntry", "XRef", "XRefIndex"]
