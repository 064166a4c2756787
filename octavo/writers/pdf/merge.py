"""Join the units' PDFs into the book: pages, destinations, links, outline, page labels.

WeasyPrint writes each unit (a chapter, the contents, ...) as a PDF of its own. Joining them with
pikepdf keeps only one chapter's layout in memory at a time and lets units be laid out in other
processes. What WeasyPrint would have done for one big document is done here instead:

- named destinations: each unit's ids (already prefixed with the page id, so unique) are gathered
  into one /Dests name tree, pointing at the joined pages;
- links into another unit were written ``octavo-dest:<id>`` URIs; they become /Dest links;
- the outline is built from the bookmarks WeasyPrint reported for each unit, nested by level;
- /PageLabels gives viewers the printed numbers (Cover, i, ii, ..., 1, 2, ...);
- the document information (title, authors, subject, keywords) and /Lang come from the first
  unit, i.e. from the <title>/<meta> elements of templates/pdf/base.html.j2; the dates are the
  build's, set here, so that no unit's HTML changes from one build to the next and a unit's
  layout can be reused from the cache;
- the same information is written again as XMP metadata (title, each author, description,
  keywords, language, dates), which archives, catalogues and PDF/A read instead of the older
  dictionary; with the build's dates, so it is as reproducible as the rest;
- the units' structure trees (WeasyPrint tags each unit) become one, under one /Document, with
  the catalogue's /MarkInfo and /ViewerPreferences and the XMP's PDF/UA-1 identification
  (:mod:`~octavo.writers.pdf.tags`); stamped folios are marked as artifacts;
- font subsets get a tag of their own per unit (WeasyPrint derives the ``ABCDEF+`` tag from the
  font alone, and two different subsets must not share a name in one PDF).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator, Mapping
from hashlib import md5
from pathlib import Path
from urllib.parse import unquote

import pikepdf

from octavo.config import Metadata
from octavo.diagnostics import Diagnostic, error
from octavo.i18n import direction
from octavo.imprint import xmp_fields
from octavo.writers.pdf.body import DEST_SCHEME
from octavo.writers.pdf.jobs import LayoutResult
from octavo.writers.pdf.pages import Slot
from octavo.writers.pdf.tags import Structure

PX = 0.75  # PDF points per CSS pixel
FOLIO = "/OctavoFolio"  # the name of a page's stamped folio among its XObjects
SUBSET = re.compile(r"^/?([A-Z]{6})\+(.*)$")


class Joined:
    """The PDF being assembled, and what must stay alive until it is saved."""

    def __init__(self, created: str, authors: tuple[str, ...] = (), book: Metadata | None = None,
                 attachments: Mapping[str, bytes] | None = None, crop_marks: bool = False) -> None:
        self.created = created  # a PDF date, D:YYYYMMDDHHmmSSZ
        self.authors = authors  # each its own creator in the XMP (the dictionary joins them)
        self.book = book  # the publisher's metadata, for the XMP
        self.attachments = dict(attachments or {})  # file name -> contents: the fonts' licence
        self.crop_marks = crop_marks  # drawn on the blank pages too ([pdf] marks)
        self.pdf = pikepdf.new()
        self.sources: list[pikepdf.Pdf] = []  # pikepdf copies stream data lazily: keep them open
        self.dests: dict[str, pikepdf.Array] = {}
        self.links: list[tuple[str, str]] = []  # (destination name, unit) of every cross-unit link
        self.bookmarks: list[tuple[int, str, int, float, float]] = []
        self.structure = Structure(self.pdf)

    def append(self, slot: Slot, result: LayoutResult, folios: bytes | None = None) -> None:
        """The unit's pages, each with the page of the same index of ``folios`` laid over it."""
        assert result.pdf is not None
        source = pikepdf.open(io.BytesIO(result.pdf))
        self.sources.append(source)
        if len(self.sources) == 1:
            self.pdf.trailer.Info = self.pdf.copy_foreign(source.trailer.Info)
            self.pdf.trailer.Info.CreationDate = self.pdf.trailer.Info.ModDate = pikepdf.String(self.created)
            if "/Lang" in source.Root:
                self.pdf.Root.Lang = source.Root.Lang
        _retag_fonts(source, slot.unit or "")
        first = len(self.pdf.pages)
        with warnings.catch_warnings():  # the destinations are rebuilt below, all of them
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            self.pdf.pages.extend(source.pages)
        self._destinations(source, first)
        self.structure.add(source, first)
        for page in self.pdf.pages[first:]:
            self._relink(page, slot.unit or "")
        if folios is not None:
            self._stamp(folios, first, f"{slot.unit} folios")
        self.bookmarks += [(b.level, b.label, first + b.page, b.x, b.y) for b in result.bookmarks]

    def _stamp(self, folios: bytes, first: int, name: str) -> None:
        """Draw each folio page over its page, as a form XObject of the same size.

        WeasyPrint gives all the pages of a document one /Resources dictionary, so each page gets a
        shallow copy of its own before its folio is added to it.
        """
        stamp = pikepdf.open(io.BytesIO(folios))
        self.sources.append(stamp)
        _retag_fonts(stamp, name)
        for number, page in enumerate(stamp.pages):
            target = self.pdf.pages[first + number]
            form = self.pdf.copy_foreign(page.as_form_xobject())
            resources = _shallow(target.obj, "/Resources")
            xobjects = _shallow(resources, "/XObject")
            xobjects[FOLIO] = form
            resources.XObject = xobjects
            target.obj.Resources = resources
            target.contents_add(pikepdf.Stream(self.pdf, b"q\n"), prepend=True)
            target.contents_add(pikepdf.Stream(self.pdf, f"Q\n/Artifact BMC\nq {FOLIO} Do Q\nEMC\n".encode()))

    def blank(self) -> None:
        """A blank page the size of the page before it (a verso left empty); with its bleed, and
        its crop marks if the book asks for them, as WeasyPrint draws them on the others."""
        previous = self.pdf.pages[-1]
        page = self.pdf.add_blank_page(page_size=(float(previous.mediabox[2]), float(previous.mediabox[3])))
        for box in ("/TrimBox", "/BleedBox"):
            if box in previous.obj:
                page.obj[box] = pikepdf.Array(previous.obj[box])
        if float(previous.mediabox[0]) or float(previous.mediabox[1]):  # a bleed: the media box starts below 0
            page.obj.MediaBox = pikepdf.Array(previous.obj.MediaBox)
            if self.crop_marks and "/TrimBox" in previous.obj:
                page.contents_add(pikepdf.Stream(self.pdf, crop_marks(
                    [float(v) for v in previous.mediabox], [float(v) for v in previous.trimbox])))

    def _destinations(self, source: pikepdf.Pdf, first: int) -> None:
        names = source.Root.get("/Names")
        if names is None or "/Dests" not in names:
            return
        index = {page.obj.objgen: number for number, page in enumerate(source.pages)}
        for name, target in pikepdf.NameTree(names.Dests).items():
            number = index[target[0].objgen]
            self.dests.setdefault(str(name), pikepdf.Array(
                [self.pdf.pages[first + number].obj, *list(target)[1:]]))

    def _relink(self, page: pikepdf.Page, unit: str) -> None:
        for annotation in page.obj.get("/Annots", []):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(DEST_SCHEME):
                name = unquote(uri[len(DEST_SCHEME):])
                del annotation["/A"]
                annotation.Dest = pikepdf.String(name)
                self.links.append((name, unit))

    def finish(self, labels: list[tuple[int, dict[str, object]]], path: Path,
               files: Mapping[str, str]) -> list[Diagnostic]:
        """Write the name tree, outline and labels, save to ``path``; returns broken links."""
        missing = [error("pdf.link", f"link to '#{name}', which is on no page of the PDF", files.get(unit, ""))
                   for name, unit in dict.fromkeys(self.links) if name not in self.dests]
        tree = pikepdf.NameTree.new(self.pdf)
        for name in sorted(self.dests, key=lambda n: n.encode("utf-16-be")):
            tree[name] = self.dests[name]
        self.pdf.Root.Names = pikepdf.Dictionary(Dests=tree.obj)
        for name, data in sorted(self.attachments.items()):  # no dates: the same bytes on every build
            self.pdf.attachments[name] = pikepdf.AttachedFileSpec(self.pdf, data, description="Font licence",
                                                                  filename=name, mime_type="text/plain")
        self._outline()
        self.pdf.Root.PageLabels = self.pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(
            [item for first, spec in labels for item in (first, _label(spec))])))
        self.pdf.Root.PageMode = pikepdf.Name.UseOutlines
        self.structure.finish()
        if self.book is not None and direction(self.book.language, self.book.direction) == "rtl":
            # a viewer shows a right-to-left book's spreads with the recto on the left
            preferences = self.pdf.Root.get("/ViewerPreferences") or pikepdf.Dictionary()
            preferences.Direction = pikepdf.Name.R2L
            self.pdf.Root.ViewerPreferences = preferences
        self._metadata()
        self.pdf.save(path, deterministic_id=True, compress_streams=True,
                      object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return missing

    def _metadata(self) -> None:
        """The document information as XMP too, without pikepdf naming itself or stamping the time."""
        if "/Info" not in self.pdf.trailer:
            return
        with self.pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta.load_from_docinfo(self.pdf.trailer.Info)
            if self.authors:
                meta["dc:creator"] = list(self.authors)
            if "/Lang" in self.pdf.Root:
                meta["dc:language"] = [str(self.pdf.Root.Lang)]
            if "/StructTreeRoot" in self.pdf.Root:
                meta["pdfuaid:part"] = "1"  # PDF/UA-1 (ISO 14289-1), which the tagged book is made to
            for key, value in xmp_fields(self.book).items() if self.book is not None else ():
                meta[key] = value

    def _outline(self) -> None:
        with self.pdf.open_outline() as outline:
            stack: list[tuple[int, pikepdf.OutlineItem]] = []
            for level, label, number, x, y in self.bookmarks:
                height = float(self.pdf.pages[number].mediabox[3])
                item = pikepdf.OutlineItem(label, number, pikepdf.PageLocation.XYZ, left=x * PX,
                                           top=height - y * PX)
                while stack and stack[-1][0] >= level:
                    stack.pop()
                (stack[-1][1].children if stack else outline.root).append(item)
                stack.append((level, item))


def crop_marks(media: list[float], trim: list[float]) -> bytes:
    """A page's crop marks as an artifact: each edge of the trim continued into the outer half of
    the bleed at each corner, a hairline, as WeasyPrint draws them."""
    x0, y0, x1, y1 = media
    left, bottom, right, top = trim
    lines = []
    for y in (bottom, top):
        lines += [(x0, y, x0 + (left - x0) / 2, y), (x1, y, x1 - (x1 - right) / 2, y)]
    for x in (left, right):
        lines += [(x, y0, x, y0 + (bottom - y0) / 2), (x, y1, x, y1 - (y1 - top) / 2)]
    path = "".join(f"{a:.2f} {b:.2f} m {c:.2f} {d:.2f} l S\n" for a, b, c, d in lines)
    return f"/Artifact BMC\nq 0 G 0.75 w\n{path}Q\nEMC\n".encode()


def _shallow(holder: pikepdf.Object, key: str) -> pikepdf.Dictionary:
    """A copy of the dictionary ``holder[key]`` whose values are still shared (empty if none)."""
    copy = pikepdf.Dictionary()
    value = holder.get(key)
    if isinstance(value, pikepdf.Dictionary):
        for name, item in value.items():
            copy[name] = item
    return copy


def _label(spec: Mapping[str, object]) -> pikepdf.Dictionary:
    label = pikepdf.Dictionary()
    if "S" in spec:
        label.S = pikepdf.Name("/" + str(spec["S"]))
    if "St" in spec:
        label.St = int(str(spec["St"]))
    if "P" in spec:
        label.P = pikepdf.String(str(spec["P"]))
    return label


def _fonts(source: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    seen: set[tuple[int, int]] = set()
    for page in source.pages:
        resources = page.obj.get("/Resources")
        fonts = resources.get("/Font") if resources is not None else None
        for font in fonts.values() if fonts is not None else []:
            for item in [font, *font.get("/DescendantFonts", [])]:
                if item.objgen not in seen:
                    seen.add(item.objgen)
                    yield item


def _retag_fonts(source: pikepdf.Pdf, unit: str) -> None:
    """``ABCDEF+Font`` -> a tag from the unit and the old tag, the same on every build."""
    for font in _fonts(source):
        descriptor = font.get("/FontDescriptor")
        for holder, key in ((font, "/BaseFont"), (descriptor, "/FontName")):
            match = SUBSET.match(str(holder.get(key, ""))) if holder is not None else None
            if holder is not None and match:
                digest = md5(f"{unit}/{match.group(1)}".encode()).digest()
                tag = "".join(chr(65 + byte % 26) for byte in digest[:6])
                holder[key] = pikepdf.Name(f"/{tag}+{match.group(2)}")
