"""Images and other files that a book's outputs carry: what they are and whether they are sound.

A missing or corrupt image is an error here, before any writer runs, because WeasyPrint only logs
it and an EPUB reader shows a broken picture.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

MEDIA_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
    ".webp": "image/webp", ".svg": "image/svg+xml",
    ".css": "text/css", ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
}
SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
SVG_TAG = "{http://www.w3.org/2000/svg}svg"


def media_type(path: str) -> str | None:
    return MEDIA_TYPES.get(Path(path).suffix.lower())


def check_image(root: Path, path: str) -> str | None:
    """None if ``root/path`` is a readable image of a known type; otherwise what is wrong."""
    file = root / path
    kind = media_type(path)
    if not file.is_file():
        return "the file does not exist"
    if kind is None or not kind.startswith("image/"):
        return f"'{Path(path).suffix}' is not an image type octavo knows (use JPEG, PNG, GIF, WebP or SVG)"
    return check_data(file.read_bytes(), kind)


def check_data(data: bytes, kind: str) -> str | None:
    """None if ``data`` is a sound image of media type ``kind``; otherwise what is wrong."""
    if kind == "image/svg+xml":
        return _check_svg(data)
    if kind == "image/webp":
        return None if _is_webp(data) else "the file is not a valid WebP image"
    if not data.startswith(SIGNATURES[kind]):
        return f"the file is not a valid {kind.split('/')[1].upper()} image (corrupt, or a wrong extension)"
    return None


def sniff(data: bytes) -> str | None:
    """The image type ``data`` is, from its first bytes, for a file whose name says nothing (a
    download); an SVG is recognised by its root element, so it must still pass :func:`check_data`."""
    for kind, signatures in SIGNATURES.items():
        if data.startswith(signatures):
            return kind
    if _is_webp(data):
        return "image/webp"
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    return "image/svg+xml" if root.tag == SVG_TAG else None


def extension(kind: str) -> str:
    """The file extension octavo gives an image of media type ``kind`` (``.jpg``, not ``.jpeg``)."""
    return next(suffix for suffix, known in MEDIA_TYPES.items() if known == kind)


def _is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _check_svg(data: bytes) -> str | None:
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return f"the SVG is not well-formed XML ({exc.msg})"
    if root.tag != SVG_TAG:
        return "the file is not an SVG image (its root element is not <svg> in the SVG namespace)"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).localname in ("script", "foreignObject"):
            return "the SVG contains a script or foreign content"
        if any(etree.QName(name).localname.lower().startswith("on") for name in element.attrib):
            return "the SVG contains script attributes"
        for name, value in element.attrib.items():
            if etree.QName(name).localname == "href" and not value.startswith(("#", "data:")):
                return f"the SVG refers to another file ({value})"
    return None
