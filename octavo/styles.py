"""CSS in layers, later wins: octavo's base sheet, its sheet for the output, the colours of
highlighted code (generated from ``[style] code-theme``), the ``[style]`` variables of book.toml,
the book's ``styles/book.css``, then the book's sheet for the output and any extra sheets it names.
Each layer stays a file of its own, so a book's relative ``url()`` (fonts, images) keeps working
and a user can see where a rule comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from octavo import codestyle, urls
from octavo.assets import Limits, data_url, inspect_data, inspect_file, media_type
from octavo.diagnostics import Diagnostic, error, warning
from octavo.model import Book
from octavo.paths import OutsideBook, book_relative, is_url

DEFAULTS = Path(__file__).resolve().parent.parent / "styles"


@dataclass(frozen=True)
class Sheet:
    href: str  # where the sheet lives in an output, relative to the output's root
    text: str
    origin: str  # "default", "config" or the book-relative path


@dataclass(frozen=True)
class Styles:
    sheets: tuple[Sheet, ...]
    assets: tuple[str, ...]  # book-relative files the book's sheets refer to (fonts, images)
    uses: tuple[tuple[str, str, int], ...] = ()  # (asset, sheet, line) of each, for the PDF's messages


def layers(book: Book, output: str) -> tuple[Styles, list[Diagnostic]]:
    root = book.config.root
    names = ("base.css", *(("fonts.css",) if uses_book_face(book, output) else ()), f"{output}.css",
             *((f"{output}-rtl.css",) if book.config.direction == "rtl" else ()))  # a right-to-left book's spreads
    sheets = [Sheet(f"css/{name}", (DEFAULTS / name).read_text(encoding="utf-8"), "default")
              for name in names if (DEFAULTS / name).is_file()]
    sheets.append(Sheet("css/code.css", code_sheet(book, output), "default"))
    variables = variables_sheet(book)
    if variables:
        sheets.append(Sheet("css/variables.css", variables, "config"))
    problems: list[Diagnostic] = []
    extra = book.config.mdbook.additional_css if output == "web" else ()  # mdBook's [output.html]
    wanted = ["styles/book.css", f"styles/{output}.css", *book.config.style.sheets, *extra]
    uses: list[tuple[str, str, int]] = []
    for name in dict.fromkeys(wanted):
        try:
            path = book_relative(root, "", name)
        except OutsideBook:
            problems.append(error("style.outside", f"style sheet '{name}' is outside the book", "book.toml"))
            continue
        if not (root / path).is_file():
            if name in book.config.style.sheets or name in extra:
                problems.append(error("style.missing", f"style sheet '{name}' does not exist", "book.toml"))
            continue
        text = (root / path).read_text(encoding="utf-8-sig")
        found, more = _references(root, path, text, Limits.megapixels(book.config.build.max_megapixels))
        uses += [(asset, path, line) for asset, line in found]
        problems += more
        sheets.append(Sheet(path, text, path))
    return Styles(tuple(sheets), tuple(dict.fromkeys(asset for asset, _, _ in uses)), tuple(uses)), problems


def uses_book_face(book: Book, output: str) -> bool:
    """Whether octavo's book face (styles/fonts.css) is a layer of this output: by default only
    the PDF's, whose fonts are embedded anyway; an EPUB or a site carries the files only when the
    book asks (``[style] book-face = "all"``), as reading systems let the reader choose a face."""
    chosen = dict(book.config.style.variables).get("book-face", "print")
    return chosen == "all" or (chosen == "print" and output == "pdf")


def book_face_files(book: Book, output: str) -> tuple[tuple[str, Path], ...]:
    """The font files and licence an output carries with the book face: (href in the output,
    file), the href relative to the output's root, as ``css/fonts.css`` refers to them."""
    if not uses_book_face(book, output):
        return ()
    folder = DEFAULTS / "fonts"
    return tuple((f"css/fonts/{path.relative_to(folder).as_posix()}", path)
                 for path in sorted((folder / "alegreya").rglob("*")) if path.suffix in (".woff2", ".txt"))


def code_sheet(book: Book, output: str) -> str:
    """The colours of highlighted code; the web edition's sheet holds the dark variant too, and
    print and web mark wrapped lines (reading systems get no positioned images: some misplace them)."""
    chosen = book.config.style
    dark = codestyle.dark_of(chosen.code_theme, chosen.code_theme_dark) if output == "web" else None
    return codestyle.sheet(chosen.code_theme, dark, marks=output in ("pdf", "web"))


def _references(root: Path, path: str, text: str, limits: Limits
                ) -> tuple[list[tuple[str, int]], list[Diagnostic]]:
    """Files a sheet pulls in with ``url()`` or ``@import``, with their lines; each must be inside
    the book, and an image must be one octavo can carry, like a chapter's (an SVG's own images
    travel with it)."""
    base = path.rsplit("/", 1)[0] if "/" in path else ""
    found: list[tuple[str, int]] = []
    problems: list[Diagnostic] = []
    for target, line in urls.sheet_urls(text):
        target = target.strip()
        if target.startswith("#"):
            continue
        embedded = data_url(target) if target[:11].lower() == "data:image/" else None
        if embedded is not None:  # a style sheet is carried as it is: a plain DOCTYPE cannot be left out
            inspection = inspect_data(embedded[1], embedded[0], limits)
            doctype = next((f for f in inspection.findings if f.code == "image.doctype"), None)
            if inspection.problem is not None or doctype is not None:
                problems.append(error(inspection.code, f"image 'data:{embedded[0]},…': "
                                      f"{inspection.problem or 'the SVG has a <!DOCTYPE>'}", path, line,
                                      hint=inspection.hint if doctype is None else doctype.hint))
            problems += [warning(f.code, f"image 'data:{embedded[0]},…' {f.message}", path, line, hint=f.hint)
                         for f in inspection.findings if f is not doctype]
            continue
        if target[:5].lower() == "data:":
            continue
        if is_url(target):
            problems.append(error("style.remote", f"'{target}' is not a file in the book", path, line,
                                  hint="copy the file into the book folder and use a relative url()"))
            continue
        try:
            resolved = book_relative(root, base, target)
        except OutsideBook:
            problems.append(error("style.outside", f"url '{target}' is outside the book folder", path, line))
            continue
        if not (root / resolved).is_file():
            problems.append(error("style.missing", f"url '{target}' does not exist", path, line))
            continue
        if (media_type(resolved) or "").startswith("image/"):
            inspection = inspect_file(root, resolved, limits)
            if inspection.problem is not None:
                problems.append(error(inspection.code, f"image '{target}': {inspection.problem}", path, line,
                                      hint=inspection.hint))
                continue
            problems += [warning(finding.code, f"image '{finding.path or target}' {finding.message}", path, line,
                                 hint=finding.hint) for finding in inspection.findings]
            found += [(used, line) for used in inspection.files]
        found.append((resolved, line))
    return found, problems


VARIABLES = {
    "body-font": "--body-font", "body-size": "--body-size", "heading-font": "--heading-font",
    "line-height": "--line-height", "text-color": "--text-color", "accent-color": "--accent-color",
    "page-size": "--page-size", "page-margins": "--page-margins",
}


def variables_sheet(book: Book) -> str | None:
    """``[style]`` settings as CSS custom properties (and the two switches as rules)."""
    values = dict(book.config.style.variables)
    if not values:
        return None
    lines = [f"  {VARIABLES[key]}: {value};" for key, value in values.items() if key in VARIABLES]
    css = ":root {\n" + "\n".join(lines) + "\n}\n"
    if values.get("justify") in ("yes", "no"):
        css += f"body {{ text-align: {'justify' if values['justify'] == 'yes' else 'left'}; }}\n"
    # WeasyPrint reads no custom properties inside @page, so the print settings are written out.
    if "page-size" in values:
        css += f"@page {{ size: {values['page-size']}; }}\n"
    if "page-margins" in values:  # the print sheet sets left and right pages apart, so these are set too
        css += "".join(f"@page{side} {{ margin: {values['page-margins']}; }}\n" for side in ("", " :left", " :right"))
    if values.get("hyphenate") in ("yes", "no"):
        hyphens = "auto" if values["hyphenate"] == "yes" else "manual"
        css += f"p, li, dd {{ hyphens: {hyphens}; -webkit-hyphens: {hyphens}; }}\n"
    return css
