"""The structure tree of the tagged PDF: each unit's tidied where it is laid out, all joined here.

WeasyPrint tags a unit's PDF (``pdf_tags``): a /Document element with the HTML's headings,
paragraphs, lists, tables, links and figures, and a /ParentTree from each page's marked content
(MCIDs) and each link to its element. Two things in it are not what PDF/UA wants, and are mended
by :func:`tidy` in the worker, where the unit's PDF is written:

- the text of the margin boxes (running heads, folios) is marked content whose elements hang from
  no parent in the tree; leaders' dots (the contents) are tagged as text. Both become
  ``/Artifact`` marked content, without an MCID, and leave the tree and the /ParentTree;
- a link annotation's element is sometimes a /Span; it is made a /Link; a list item's paragraph
  beside its label (a loose list) goes into an /LBody;
- a table header's /ID is only unique within its unit; it gets the unit's name before it, and
  the unit's /IDTree lists them.

The units are joined by :class:`Structure`: each unit's elements go under one /Document, its
/ParentTree keys (page /StructParents, link /StructParent) are moved past the previous units',
and its role map and ID tree are merged.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pikepdf

MARKED = re.compile(rb"/[A-Za-z]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")
ARTIFACT = b"/Artifact BMC"


def tidy(pdf: bytes, leaders: dict[int, list[int]], unit: str) -> bytes:
    """``pdf`` with its margin boxes' text and ``leaders`` (page index: MCIDs) as artifacts and its
    table header IDs made unique in the book; an untagged PDF as it is."""
    source = pikepdf.open(io.BytesIO(pdf))
    root = source.Root.get("/StructTreeRoot")
    if root is None:
        return pdf
    ids = _walk(source, _document(root), unit)
    parents = dict(_numbers(root.ParentTree))
    spans = _Spans()
    for number, page in enumerate(source.pages):
        key = page.obj.get("/StructParents")
        marked = parents.get(int(key)) if key is not None else None
        if isinstance(marked, pikepdf.Array):
            _artifacts(page, marked, ids.reachable, set(leaders.get(number, ())))
            spans.fold(page, marked)
    spans.finish()
    if ids.names:
        tree = pikepdf.NameTree.new(source)
        for name, element in sorted(ids.names.items()):
            tree[name] = element
        root.IDTree = tree.obj
    out = io.BytesIO()
    source.save(out, static_id=True)
    return out.getvalue()


class _Found:
    def __init__(self) -> None:
        self.reachable: set[tuple[int, int]] = set()
        self.names: dict[str, pikepdf.Object] = {}


def _document(root: pikepdf.Object) -> pikepdf.Object:
    kids = root.K
    return kids[0] if isinstance(kids, pikepdf.Array) else kids


def _walk(source: pikepdf.Pdf, document: pikepdf.Object, unit: str) -> _Found:
    """Every element reached from the /Document; header IDs renamed and list items mended on the way."""
    found = _Found()
    stack = [document]
    while stack:
        element = stack.pop()
        found.reachable.add(element.objgen)
        kind = element.get("/S")
        if kind == "/TH" and "/ID" in element:
            name = f"{unit}/{element.ID}"
            element.ID = pikepdf.String(name)
            found.names[name] = element
        elif kind == "/TD":
            attributes = element.get("/A")
            if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
                attributes.Headers = pikepdf.Array([pikepdf.String(f"{unit}/{h}") for h in attributes.Headers])
        elif kind == "/LI":
            _list_body(source, element)
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if not isinstance(kid, pikepdf.Dictionary):
                continue
            if kid.get("/Type") == "/OBJR":
                if kind != "/Link" and kid.Obj.get("/Subtype") == "/Link":
                    element.S = pikepdf.Name.Link  # a link annotation sits in a /Link (a span with an href)
            elif "/S" in kid:
                stack.append(kid)
    return found


def _list_body(source: pikepdf.Pdf, item: pikepdf.Object) -> None:
    """A list item holds a label and a body only: an element WeasyPrint put beside the label (a
    paragraph of a loose list) goes into a body of its own."""
    kids = item.get("/K")
    if not isinstance(kids, pikepdf.Array):
        return
    mended: list[pikepdf.Object] = []
    body: pikepdf.Dictionary | None = None
    changed = False
    for kid in kids:
        if not isinstance(kid, pikepdf.Dictionary) or kid.get("/S") in (None, "/Lbl", "/LBody"):
            mended.append(kid)
            body = None
            continue
        if body is None:
            body = source.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.LBody,
                                                           P=item, K=pikepdf.Array()))
            if "/Pg" in kid:
                body.Pg = kid.Pg
            mended.append(body)
            changed = True
        body.K.append(kid)
        kid.P = body
    if changed:
        item.K = pikepdf.Array(mended)


def _artifacts(page: pikepdf.Page, marked: pikepdf.Array, reachable: set[tuple[int, int]],
               leaders: set[int]) -> None:
    """Turn the page's marked content that the tree does not reach, and the leaders', into
    artifacts: out of the tree, out of the /ParentTree, ``/Artifact BMC`` in the content."""
    gone: set[int] = set()
    for mcid, element in enumerate(marked):
        if not isinstance(element, pikepdf.Dictionary):
            continue
        if element.objgen not in reachable:
            gone.add(mcid)
        elif mcid in leaders:
            gone.add(mcid)
            _unhook(element, mcid)
    if not gone:
        return
    for mcid in gone:
        marked[mcid] = pikepdf.Object.parse(b"null")
    content = page.obj.Contents
    streams = list(content) if isinstance(content, pikepdf.Array) else [content]
    for stream in streams:
        data = stream.read_bytes()
        changed = MARKED.sub(lambda m: ARTIFACT if int(m.group(1)) in gone else m.group(0), data)
        if changed != data:
            stream.write(changed)


PLAIN_SPAN = {"/Type", "/S", "/K", "/Pg", "/P"}


class _Spans:
    """WeasyPrint gives each run of text its own /Span element that says nothing more than its
    parent (a paragraph, a heading); the run's marked content goes straight into the parent
    instead (an MCID, or a marked-content reference when on another page than the parent's), so
    the tree of a long book has half the elements to copy and to hold while the book is joined."""

    def __init__(self) -> None:
        self.replaced: dict[tuple[int, int], tuple[pikepdf.Object, dict[tuple[int, int], pikepdf.Object]]] = {}

    def fold(self, page: pikepdf.Page, marked: pikepdf.Array) -> None:
        for mcid, element in enumerate(marked):
            if not isinstance(element, pikepdf.Dictionary) or element.get("/S") != "/Span" \
                    or set(element.keys()) - PLAIN_SPAN or "/P" not in element:
                continue
            kids = element.K
            only = kids[0] if isinstance(kids, pikepdf.Array) and len(kids) == 1 else kids
            if not isinstance(only, int) or int(only) != mcid:
                continue
            parent = element.P
            if parent.get("/Type") != "/StructElem" or not isinstance(parent.get("/K"), pikepdf.Array):
                continue
            same = "/Pg" in parent and parent.Pg.objgen == page.obj.objgen
            direct = mcid if same else pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=page.obj, MCID=mcid)
            self.replaced.setdefault(parent.objgen, (parent, {}))[1][element.objgen] = direct
            marked[mcid] = parent

    def finish(self) -> None:
        for parent, spans in self.replaced.values():
            parent.K = pikepdf.Array([spans.get(kid.objgen, kid) if isinstance(kid, pikepdf.Dictionary) else kid
                                      for kid in parent.K])


def _unhook(element: pikepdf.Object, mcid: int) -> None:
    """Take ``mcid`` out of ``element``, and the element out of its parent if nothing is left."""
    kids = element.K
    if isinstance(kids, pikepdf.Array):
        left = [kid for kid in kids if not (isinstance(kid, int) and int(kid) == mcid)]
        element.K = pikepdf.Array(left)
    else:
        left = [] if int(kids) == mcid else [kids]
    if left or "/P" not in element:
        return
    parent = element.P
    if isinstance(parent.get("/K"), pikepdf.Array):
        parent.K = pikepdf.Array([kid for kid in parent.K if not (isinstance(kid, pikepdf.Dictionary)
                                                                   and kid.objgen == element.objgen)])


def _numbers(tree: pikepdf.Object) -> Iterator[tuple[int, pikepdf.Object]]:
    """The (key, value) pairs of a number tree, in order, from its leaves and kids."""
    if "/Nums" in tree:
        nums = tree.Nums
        for index in range(0, len(nums) - 1, 2):
            yield int(nums[index]), nums[index + 1]
    for kid in tree.get("/Kids", []):
        yield from _numbers(kid)


class Structure:
    """The joined PDF's one structure tree, built unit by unit as their pages are appended."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.root: pikepdf.Dictionary | None = None
        self.document: pikepdf.Dictionary | None = None
        self.nums: list[int | pikepdf.Object] = []
        self.next = 0  # the first free /ParentTree key
        self.roles: dict[str, pikepdf.Object] = {}
        self.ids: dict[str, pikepdf.Object] = {}

    def add(self, source: pikepdf.Pdf, first: int) -> None:
        """The tree of ``source``, whose pages were just appended from page index ``first`` on."""
        tree = source.Root.get("/StructTreeRoot")
        if tree is None:
            return
        document = self._start()
        theirs = _document(tree)
        del theirs["/P"]  # so that copying it does not bring the unit's root and parent tree along
        copied = self.pdf.copy_foreign(theirs)
        for kid in copied.K:
            if isinstance(kid, pikepdf.Dictionary):
                kid.P = document
                document.K.append(kid)
        offset, last = self.next, -1
        pairs = list(_numbers(tree.ParentTree))
        if pairs:
            values = self.pdf.copy_foreign(source.make_indirect(pikepdf.Array([value for _, value in pairs])))
            for (key, _), value in zip(pairs, values, strict=True):
                self.nums += [key + offset, value]
                last = max(last, key)
        for page in self.pdf.pages[first:first + len(source.pages)]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
        self.next = offset + last + 1
        for name, role in tree.get("/RoleMap", {}).items():
            self.roles.setdefault(str(name), role)
        if "/IDTree" in tree:
            for name, element in pikepdf.NameTree(tree.IDTree).items():
                self.ids[str(name)] = self.pdf.copy_foreign(element)

    def _start(self) -> pikepdf.Dictionary:
        """The /Document every unit's elements go under, made with the root at the first tagged unit."""
        if self.root is None or self.document is None:
            self.root = self.pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
            self.document = self.pdf.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, P=self.root, K=pikepdf.Array()))
            self.root.K = pikepdf.Array([self.document])
        return self.document

    def finish(self) -> None:
        """The tree in the catalogue, with what PDF/UA asks of a tagged document's catalogue."""
        if self.root is None:
            return
        self.root.ParentTree = self.pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(self.nums)))
        self.root.ParentTreeNextKey = self.next
        if self.roles:
            self.root.RoleMap = pikepdf.Dictionary({name: self.roles[name] for name in sorted(self.roles)})
        if self.ids:
            tree = pikepdf.NameTree.new(self.pdf)
            for name in sorted(self.ids):
                tree[name] = self.ids[name]
            self.root.IDTree = tree.obj
        catalog = self.pdf.Root
        catalog.StructTreeRoot = self.root
        catalog.MarkInfo = pikepdf.Dictionary(Marked=True)
        catalog.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
