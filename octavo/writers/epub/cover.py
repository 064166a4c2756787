"""The EPUB's cover as stores and converters want it: a raster image at store size.

Calibre's ``ebook-meta`` finds no SVG cover, an AZW3 made from the EPUB has none, and the stores
ask for a JPEG or PNG (Amazon: 2560 px on the long side, 1.6:1). An SVG cover is therefore
rasterised with CairoSVG to a JPEG 2560 px high, which becomes the ``cover-image`` (and the EPUB 2
``meta name="cover"``) and the picture of the cover page. CairoSVG may read only files inside the
book folder (the cover's own pictures, as for every image) and ``data:`` URLs, and never the
network. The result is kept in the cache under the SVG's bytes, so a rebuild does not draw it again.
"""

from __future__ import annotations

import io
from pathlib import Path, PurePosixPath
from typing import Any

from octavo.diagnostics import BookError, error
from octavo.memo import Memo, digest

HEIGHT = 2560  # Amazon's and Apple's recommended cover height in pixels (the width follows the SVG's shape)
QUALITY = 90


def raster_name(cover: str) -> str:
    """Where the rasterised cover goes in the EPUB: beside the SVG, under a name no book file has."""
    path = PurePosixPath(cover)
    return str(path.with_name(f"{path.stem}-{HEIGHT}.jpg"))


def rasterise(root: Path, cover: str, svg: Path, memo: Memo) -> bytes:
    """The SVG cover (``cover`` in the book, at ``svg``) as a JPEG ``HEIGHT`` pixels high (from
    the cache when drawn before)."""
    data = svg.read_bytes()
    key = digest("cover", HEIGHT, QUALITY, data)
    found = memo.load(key)
    if found is not None:
        return found
    made = _draw(data, cover, svg, root)
    memo.store(key, made)
    return made


def _draw(data: bytes, cover: str, svg: Path, root: Path) -> bytes:
    import cairosvg.parser  # only an EPUB with an SVG cover needs it
    import cairosvg.surface
    import cairosvg.url
    from PIL import Image

    def fetch(url: str, resource_type: Any = None) -> bytes:
        if url.startswith("data:"):
            return bytes(cairosvg.url.fetch(url, resource_type))
        path = Path(url.removeprefix("file://")).resolve()
        if url.startswith("file://") and path.is_relative_to(root.resolve()) and path.is_file():
            return path.read_bytes()
        raise ValueError(f"the cover may not load {url}")

    try:
        tree = cairosvg.parser.Tree(bytestring=data, url=svg.resolve().as_uri(), url_fetcher=fetch)
        drawn = io.BytesIO()
        cairosvg.surface.PNGSurface(tree, drawn, 96, output_height=HEIGHT).finish()
        png = drawn.getvalue()
    except Exception as exc:  # CairoSVG raises whatever its parser or cairo raise
        raise BookError([error("epub.cover", f"the SVG cover could not be drawn: {exc}", cover,
                               hint="check that the SVG opens in a browser, or give a JPEG or PNG cover")]) from exc
    with Image.open(io.BytesIO(png)) as image:
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.convert("RGBA").getchannel("A"))
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
