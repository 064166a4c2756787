"""Images read without decoding (octavo.raster) and SVGs parsed without a DTD (octavo.svg).

octavo.raster has Pillow read them; the tests hold it to what the images are: the size and
frames they were written with, every cut of a file truncated, a bomb refused in little memory.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from octavo import assets, raster, svg

SVG_NS = b'xmlns="http://www.w3.org/2000/svg"'
FORMATS = [("PNG", {}), ("PNG", {"interlace": 1}), ("JPEG", {}), ("JPEG", {"progressive": True}), ("GIF", {}),
           ("WEBP", {}), ("WEBP", {"lossless": True})]
MODES = ["RGB", "L", "RGBA", "P", "1", "LA"]
MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def encoded(fmt: str, options: dict[str, object], mode: str, size: tuple[int, int]) -> bytes:
    image = Image.effect_noise(size, 40).convert(mode)
    if fmt == "JPEG" and mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def chunk(name: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + name + data + struct.pack(">I", zlib.crc32(name + data))


def bomb_png(width: int, height: int) -> bytes:
    """A 1-bit PNG of zeros: 30,000 × 30,000 of it is about 110 KB."""
    row = b"\0" * (1 + (width + 7) // 8)
    deflate = zlib.compressobj(9)
    pixels = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    return (raster.PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(FORMATS), st.sampled_from(MODES), st.integers(1, 400), st.integers(1, 400),
       st.integers(1, 10**6))
def test_sizes_are_the_written_ones_and_every_cut_is_truncated(fmt: tuple[str, dict[str, object]], mode: str,
                                                               width: int, height: int, cut: int) -> None:
    data = encoded(*fmt, mode, (width, height))
    assert raster.measure(data) == raster.Raster(MIME[fmt[0]], width, height)
    raster.verify(data)
    with pytest.raises(raster.Unsound):
        short = data[: cut % (len(data) - 1) + 1]
        raster.measure(short)
        raster.verify(short)


def test_animations_count_their_frames() -> None:
    frames = [Image.new("RGB", (50, 40), (n * 40, 0, 0)) for n in range(5)]
    for fmt in ("GIF", "WEBP", "PNG"):
        buffer = io.BytesIO()
        frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:])
        assert raster.measure(buffer.getvalue()) == raster.Raster(MIME[fmt], 50, 40, 5)


def test_a_decompression_bomb_is_measured_from_its_header_in_little_memory() -> None:
    data = bomb_png(30_000, 30_000)
    assert len(data) < 150_000
    tracemalloc.start()
    try:
        inspection = assets.inspect_data(data, "image/png")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert inspection.code == "image.large" and "900 megapixels" in (inspection.problem or "")
    assert "max-megapixels" in inspection.hint
    assert peak < 5_000_000, "the 900 megapixels (112 MB even at one bit each) were never inflated"
    tracemalloc.start()
    try:
        raised = assets.inspect_data(data, "image/png", assets.Limits.megapixels(1000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert raised.code == "image.large" and "Pillow decodes safely" in (raised.problem or ""), (
        "with the book's limit raised, Pillow's own bomb limit still refuses it")
    assert peak < 5_000_000


def test_damaged_pixel_data_with_good_checksums_is_corrupt() -> None:
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 20, 20, 8, 2, 0, 0, 0))
    garbage = raster.PNG_SIGNATURE + header + chunk(b"IDAT", b"not zlib at all") + chunk(b"IEND", b"")
    cut = raster.PNG_SIGNATURE + header + chunk(b"IDAT", zlib.compress(b"\0" * 61 * 20)[:-6]) + chunk(b"IEND", b"")
    for data in (garbage, cut):
        raster.measure(data)
        with pytest.raises(raster.Unsound, match=r"corrupt|truncated"):
            raster.verify(data)
    flipped = bytearray(encoded("PNG", {}, "RGB", (30, 30)))
    flipped[40] ^= 0xFF
    with pytest.raises(raster.Unsound, match="corrupt"):
        raster.measure(bytes(flipped))


def test_store_limits_are_warnings_naming_the_store_and_the_limit() -> None:
    big = assets.inspect_data(encoded("JPEG", {"quality": 10}, "L", (2500, 2400)), "image/jpeg")
    assert big.problem is None
    assert [(f.code, "Apple Books" in f.message, "5.6 megapixels" in f.message) for f in big.findings] == [
        ("image.store", True, True)]
    heavy = assets.inspect_data(encoded("PNG", {"compress_level": 0}, "RGB", (1400, 1300)), "image/png")
    assert [(f.code, "Kobo" in f.message, "5 MB" in f.message) for f in heavy.findings] == [
        ("image.store", True, True)]


def test_the_real_type_comes_from_the_bytes() -> None:
    jpeg = encoded("JPEG", {}, "RGB", (8, 8))
    assert assets.inspect_data(jpeg, "image/png").problem == (
        "the file is a JPEG image, not a PNG one (its extension is wrong)")
    assert assets.sniff(jpeg) == "image/jpeg"


# SVG ------------------------------------------------------------------------------------------

LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE svg [\n <!ENTITY lol "lol">\n'
          + b"".join(b' <!ENTITY lol%d "%s">\n' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                     for n in range(1, 10))
          + b"]>\n<svg " + SVG_NS + b"><text>&lol9;</text></svg>")  # a billion "lol"s, 3 GB


def refused(data: bytes, resource: svg.Resource = lambda url: None) -> str:
    with pytest.raises(svg.Refused) as caught:
        svg.check(data, resource)
    return str(caught.value)


def test_a_billion_laughs_never_expands() -> None:
    tracemalloc.start()
    try:
        message = refused(LAUGHS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "DOCTYPE" in message and peak < 1_000_000
    assert assets.sniff(LAUGHS) == "image/svg+xml", "recognised, so that its refusal says why"
    assert not svg.has_doctype(LAUGHS)


@pytest.mark.parametrize(("document", "said"), [
    (b'<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg ' + SVG_NS + b"><text>&xxe;</text></svg>",
     "DOCTYPE"),
    (b'<!DOCTYPE svg [<!ATTLIST image href CDATA "file:///etc/passwd">]><svg ' + SVG_NS + b"><image/></svg>",
     "DOCTYPE"),
    (b'<!DOCTYPE svg SYSTEM "http://evil.example/x.dtd"><svg ' + SVG_NS + b"><text>&xxe;</text></svg>",
     "entities"),
    (b'<?xml-stylesheet href="file:///etc/passwd"?><svg ' + SVG_NS + b"/>", "style sheet"),
    (b"<svg " + SVG_NS + b"><script>alert(1)</script></svg>", "script"),
    (b"<svg " + SVG_NS + b'><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>',
     "foreign"),
    (b"<svg " + SVG_NS + b' onload="alert(1)"/>', "script attributes"),
    (b"<svg " + SVG_NS + b'><a href="x"><set attributeName="href" to="javascript:alert(1)"/></a></svg>', "animates"),
    (b"<svg " + SVG_NS + b' xml:base="file:///etc/"><image href="passwd"/></svg>', "xml:base"),
    (b"<svg " + SVG_NS + b'><image href="file:///etc/passwd"/></svg>', "another file"),
    (b"<svg " + SVG_NS + b' xmlns:x="http://www.w3.org/1999/xlink"><use x:href="http://evil.example/a.svg#a"/></svg>',
     "another file"),
    (b"<svg " + SVG_NS + b'><rect fill="url(http://evil.example/p.svg#p)"/></svg>', "another file"),
    (b"<svg " + SVG_NS + b'><rect style="fill: u\\72l(file:///etc/passwd)"/></svg>', "another file"),
    (b"<svg " + SVG_NS + b"><style>@import 'x.css';</style></svg>", "@import"),
    (b"<svg " + SVG_NS + b"><style>rect { fill: url(https://evil.example/x) }</style></svg>", "another file"),
    (b"<svg " + SVG_NS + b'><g id="a"><use href="#a"/></g></svg>', "themselves"),
    (b"<svg " + SVG_NS + b'><g id="g0"><rect/></g>'
     + b"".join(b'<g id="g%d">%s</g>' % (n, b'<use href="#g%d"/>' % (n - 1) * 10) for n in range(1, 9)) + b"</svg>",
     "100,000"),
    (b"<html><svg " + SVG_NS + b"/></html>", "not an SVG image"),
    (b"<svg " + SVG_NS + b"><rect></svg>", "not well-formed"),
], ids=["external-entity", "attlist-default", "external-dtd-entity", "xml-stylesheet", "script", "foreignObject",
        "event", "animated-href", "xml-base", "file-href", "remote-use", "remote-fill", "escaped-url", "import",
        "style-url", "use-cycle", "use-bomb", "not-svg", "malformed"])
def test_hostile_svgs_are_refused(document: bytes, said: str) -> None:
    assert said in refused(document)


def test_a_plain_doctype_is_left_out_of_the_copy_the_outputs_carry() -> None:
    source = (b'<?xml version="1.0" encoding="utf-8" standalone="no"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"'
              b' "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg ' + SVG_NS + b' width="4" height="4">'
              b'<rect width="2" height="2" fill="url(#g)"/><linearGradient id="g"/></svg>')
    assert svg.check(source, lambda url: None).doctype and svg.has_doctype(source)
    carried = svg.without_doctype(source)
    assert b"DOCTYPE" not in carried and not svg.check(carried, lambda url: None).doctype
    assert carried.endswith(source[source.index(b"<svg") :])


def test_files_an_svg_uses_are_checked_and_named(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "images" / "photo.png")
    (tmp_path / "images" / "bomb.png").write_bytes(bomb_png(8000, 8000))
    (tmp_path / "images" / "frame.svg").write_bytes(b"<svg " + SVG_NS + b'><image href="photo.png"/></svg>')
    (tmp_path / "images" / "bad.svg").write_bytes(b"<svg " + SVG_NS + b'><image href="bomb.png"/></svg>')
    (tmp_path / "images" / "out.svg").write_bytes(b"<svg " + SVG_NS + b'><image href="../../x.png"/></svg>')
    good = assets.inspect_file(tmp_path, "images/frame.svg")
    assert good.problem is None and good.files == ("images/photo.png",)
    assert "'images/bomb.png', which it uses: it is 8,000 × 8,000" in (assets.inspect_file(tmp_path, "images/bad.svg")
                                                                       .problem or "")
    assert "outside the book" in (assets.inspect_file(tmp_path, "images/out.svg").problem or "")
    embedded = b"data:image/png;base64," + __import__("base64").b64encode(bomb_png(8000, 8000))
    assert "an image it embeds" in (assets.inspect_data(b"<svg " + SVG_NS + b'><image href="' + embedded + b'"/></svg>',
                                                        "image/svg+xml").problem or "")
