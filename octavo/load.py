"""A book folder -> a :class:`~octavo.model.Book`: outline, chapter files, front matter.

Three ways to find the reading order, in this order: the native outline in ``book.toml``
(``chapters``, or ``front``/``[[book.parts]]``/``back``), an mdBook ``SUMMARY.md``, or the
folder's ``*.md`` files in file-name order. Every problem is collected, then reported together.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from octavo import mdbook, summary
from octavo.assets import Limits, inspect_file
from octavo.config import (
    CONFIG_NAME,
    LANGUAGE_TAG,
    Config,
    Metadata,
    default_identifier,
    key_line,
    load_config,
    project_config,
)
from octavo.diagnostics import BookError, Diagnostic, error, has_errors, warning
from octavo.memo import Recall
from octavo.model import Book, Chapter, Kind, Part, Source
from octavo.paths import OutsideBook, book_relative, slugify
from octavo.projects import detect, quarto

RESERVED_IDS = {"cover", "titlepage", "copyright", "toc", "nav", "index", "search"}
FRONT_MATTER_KEYS = {"title", "id", "number", "draft", "lang", "bibliography"}
MAX_CHAPTER_BYTES = 20 * 1024 * 1024  # 200 times the longest chapter of Pepys; larger is a mistake


def load_book(root: Path, recall: Recall | None = None, skip_preprocessors: Sequence[str] = ()
              ) -> tuple[Book, list[Diagnostic]]:
    """Load the book in ``root``; raises :class:`BookError` with every problem if it can't be built.

    ``recall`` (``serve``'s) keeps each chapter's text decoded, for a file that has not changed.
    mdBook's preprocessors run on the chapters' text (:mod:`octavo.mdbook`), but those named in
    ``skip_preprocessors``.
    Chapters come back unnumbered: numbering is a transform, run by the pipeline.
    """
    if not root.is_dir():
        raise BookError([error("book.missing", f"no book folder at {root}", str(root),
                               hint="give the folder that holds book.toml and the chapters")])
    config, problems = load_config(root)
    if config is not None and not config.has_file:
        config, problems = _project(root, config)
    if config is None or has_errors(problems):
        raise BookError(problems)
    sources, parts, more = _outline(root, config)
    problems += more
    chapters, more = _read_all(root, sources, recall)
    problems += more
    if not has_errors(problems):
        chapters, more = mdbook.preprocess(root, config, chapters, parts, skip_preprocessors)
        problems += more
    if config.file != CONFIG_NAME and config.file.endswith(".md"):
        # pandoc's title block: its title is the book's, the chapter's is its first heading
        chapters = [replace(c, title=None, text=detect.without_percent_block(c.text)) if c.source == config.file
                    else c for c in chapters]
    if not chapters and not has_errors(problems):
        problems.append(error("book.empty", "the book has no chapters", config.file, hint="list chapters in "
                              f"{config.file} or add .md files to the folder") if config.has_file
                        else detect.nothing_found(root))
    elif not config.has_file:
        problems += [detect.include_book(c.source, lines) for c in chapters if (lines := detect.includes_only(c.text))]
    if has_errors(problems):
        raise BookError(problems)
    book = _assemble(config, chapters, parts)
    src = config.outline.src or "src"
    if not config.outline.explicit and (root / src / "SUMMARY.md").is_file():
        book = replace(book, mdbook_src=src.strip("/"))
        not_found, more = _not_found_page(root, config, src.strip("/"), recall)
        book = replace(book, not_found=not_found)
        problems += more
    book, more = _finish_metadata(root, book)
    problems += more
    if has_errors(problems):
        raise BookError(problems)
    return book, problems


def _not_found_page(root: Path, config: Config, src: str, recall: Recall | None
                    ) -> tuple[Chapter | None, list[Diagnostic]]:
    """An mdBook project's 404 page, as mdBook reads it: ``[output.html] input-404`` (which must
    exist) or else ``404.md`` in ``src/`` when there is one; none means the default page."""
    name = config.mdbook.input_404
    path = f"{src}/{name or '404.md'}" if src else name or "404.md"
    try:
        path = book_relative(root, "", path, root.resolve())
    except OutsideBook:
        return None, [error("config", f"the 404 page '{path}' is outside the book folder", config.file,
                            key_line(root, "input-404", config.file), hint="name a file in the src folder")]
    if not (root / path).is_file():
        if name is None:
            return None, []
        return None, [error("config", f"the 404 page '{path}' ('output.html.input-404') does not exist",
                            config.file, key_line(root, "input-404", config.file),
                            hint="create the file, or remove input-404 to get the default page")]
    chapter, problems = read_chapter(root, path, Source(path, Kind.BACK), recall)
    return (replace(chapter, id="_not-found") if chapter else None), problems


def _project(root: Path, plain: Config) -> tuple[Config | None, list[Diagnostic]]:
    """A folder without book.toml: a Quarto or pandoc project read as if it had one, or a plain folder."""
    project = detect.find(root)
    if project is None:
        return plain, []
    if has_errors(project.problems):
        return None, list(project.problems)
    config, problems = project_config(root, project.file, project.text, project.tables)
    return config, [*project.problems, *problems]


def _outline(root: Path, config: Config) -> tuple[list[Source], list[str], list[Diagnostic]]:
    outline = config.outline
    if outline.explicit:
        sources = [Source(p, Kind.FRONT) for p in outline.front]
        sources += [Source(p, Kind.CHAPTER) for p in outline.chapters or ()]
        for index, part in enumerate(outline.parts):
            if part.intro:
                sources.append(Source(part.intro, Kind.PART_INTRO, part=index))
            sources += [Source(p, Kind.CHAPTER, part=index) for p in part.chapters]
        sources += [Source(p, Kind.BACK) for p in outline.back]
        sources += [Source(p, Kind.BACK, appendix=True) for p in outline.appendices]
        return _listed_at(sources, (root / config.file).read_text(encoding="utf-8-sig"), config.file), \
            [p.title for p in outline.parts], []
    src = outline.src or "src"
    if (root / src / "SUMMARY.md").is_file():
        return summary.read(root, src)
    names = sorted(p.name for p in root.glob("*.md") if p.is_file())
    return [Source(name, Kind.CHAPTER) for name in names if name != "SUMMARY.md"], [], []


def _listed_at(sources: list[Source], text: str, file: str = CONFIG_NAME) -> list[Source]:
    """Each source with the ``book.toml`` line that lists it, so a message points where the fix is.

    TOML parsers keep no positions; a path's n-th listing is taken to be the n-th string literal
    of that path in the file, which holds for any file that lists each path as a plain string
    (or, in a Quarto or pandoc project's YAML, as a bare list item or ``part:`` value).
    """
    found: dict[str, list[int]] = {}
    for match in re.finditer(r"""(["'])((?:(?!\1).)*)\1|^[ \t]*-[ \t]+(?:part:[ \t]*)?([^\s"'#{}\[\]]+)[ \t]*$""",
                             text, re.M):
        found.setdefault(match.group(2) or match.group(3), []).append(text.count("\n", 0, match.start()) + 1)
    used: dict[str, int] = {}
    placed = []
    for source in sources:
        lines = found.get(source.path, [])
        nth = used.get(source.path, 0)
        used[source.path] = nth + 1
        placed.append(replace(source, listed_in=file, line=lines[nth] if nth < len(lines) else None))
    return placed


OUTLINE_HINT = ("the outline is the book's reading order: the chapter lists in book.toml (front, chapters, "
                "[[book.parts]], back) or the links in SUMMARY.md")


def _read_all(root: Path, sources: list[Source], recall: Recall | None) -> tuple[list[Chapter], list[Diagnostic]]:
    chapters: list[Chapter] = []
    problems: list[Diagnostic] = []
    seen: dict[str, Source] = {}
    ids: dict[str, str] = {}
    real_root = root.resolve()
    for source in sources:
        where, line = source.listed_in, source.line
        try:
            path = book_relative(root, source.base, source.path, real_root)
        except OutsideBook:
            problems.append(error("outline.outside", f"'{source.path}' is outside the book folder", where, line,
                                  hint="chapters must live inside the folder that holds book.toml"))
            continue
        if path in seen:
            first = seen[path]
            at = f" (line {first.line})" if first.line and first.listed_in == where else ""
            problems.append(error("outline.duplicate", f"'{path}' is listed twice in the book's outline, "
                                  f"first in {first.listed_in or 'the folder'}{at}", where, line,
                                  hint=f"a chapter can appear only once: remove one of the entries; {OUTLINE_HINT}"))
            continue
        seen[path] = source
        chapter, more = read_chapter(root, path, source, recall)
        problems += more
        if chapter is None:
            continue
        chapter, more = _unique_id(chapter, chapter.id != slugify(Path(path).stem, "chapter"), ids)
        problems += more
        chapters.append(chapter)
    return chapters, problems


def _book_files(root: Path) -> list[str]:
    """The book's Markdown files, book-relative, for a did-you-mean on a misspelt chapter path."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md") if p.is_file())[:5000]


def read_chapter(root: Path, path: str, source: Source, recall: Recall | None = None
                 ) -> tuple[Chapter | None, list[Diagnostic]]:
    """Read one chapter file: encoding, front matter and id; ``None`` if it cannot be used."""
    file = root / path
    if not file.is_file():
        close = difflib.get_close_matches(path, _book_files(root), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"check the spelling, or create the file; {OUTLINE_HINT}"
        listed = source.listed_in or path
        return None, [error("chapter.missing", f"chapter file '{path}' does not exist", listed,
                            source.line if source.listed_in else None, hint=hint)]
    if file.stat().st_size > MAX_CHAPTER_BYTES:
        limit = MAX_CHAPTER_BYTES // 2**20
        return None, [error("chapter.size", f"chapter is larger than the {limit} MiB limit", path,
                            hint="split it into several chapter files")]
    text, problems = decode_kept(file.read_bytes(), path, recall, str(file))
    if text is None:
        return None, problems
    meta, body, first_line, more = split_front_matter(text, path)
    problems += more
    if not body.strip():
        problems.append(warning("chapter.empty", "chapter is empty", path, hint="write some text or remove it"))
    return _chapter_from(path, body, first_line, meta, source, problems)


def _chapter_from(path: str, body: str, first_line: int, meta: dict[str, Any], source: Source,
                  problems: list[Diagnostic]) -> tuple[Chapter | None, list[Diagnostic]]:
    title = meta.get("title", source.title)
    chapter_id = meta.get("id")
    if chapter_id is not None and (not isinstance(chapter_id, str) or slugify(chapter_id, "") != chapter_id):
        problems.append(error("front-matter.id", f"id '{chapter_id}' must be lowercase letters, digits and "
                              "hyphens", path, 2, hint=f"try id: {slugify(str(chapter_id))}"))
        chapter_id = None
    number = meta.get("number")
    language = meta.get("language")
    if language is not None and (not isinstance(language, str) or not LANGUAGE_TAG.match(language)):
        problems.append(error("front-matter.language", f"'{language}' is not a BCP 47 language tag", path, 2,
                              hint="use a tag such as en, de-AT or ja"))
        language = None
    bibliography, more = _front_matter_bibliography(path, meta.get("bibliography"))
    problems += more
    return Chapter(
        id=chapter_id or slugify(Path(path).stem, "chapter"),
        source=path,
        text=body,
        kind=source.kind,
        title=str(title) if title is not None else None,
        # "": a chapter whose heading says {.unnumbered}, which takes no number (see numbering)
        number=str(number) if number not in (None, False) else "" if quarto.unnumbered(body) else None,
        level=source.level,
        first_line=first_line,
        part=source.part,
        draft=bool(meta.get("draft", False)),
        bibliography=bibliography,
        language=language,
        appendix=source.appendix,
    ), problems


def _front_matter_bibliography(path: str, value: Any) -> tuple[tuple[str, ...], list[Diagnostic]]:
    """A chapter's own ``bibliography:`` (one path or a list), relative to the chapter's folder as
    written; the citation stage reads the files and checks they stay inside the book."""
    if value is None:
        return (), []
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return (), [error("front-matter.bibliography", "'bibliography' must be a path or a list of paths", path, 2,
                          hint="bibliography: references.bib")]
    folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    return tuple(v if v.startswith("/") else folder + v for v in values), []


def decode(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 (a BOM is accepted) with CRLF folded to LF; bad bytes are reported as line:col."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [error("chapter.encoding", f"not valid UTF-8 (byte {exc.start}: {exc.reason})", path, line,
                            col=col, hint="save the file as UTF-8")]
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        return None, [error("chapter.nul", "the file contains NUL bytes; is it a text file?", path, line)]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def decode_kept(data: bytes, path: str, recall: Recall | None, name: str) -> tuple[str | None, list[Diagnostic]]:
    """:func:`decode`, kept in ``recall`` under ``name`` with the bytes it was decoded from.

    ``serve`` reads every chapter again on each save, and most are byte for byte as they were:
    comparing them costs a fraction of decoding them (7 MB for the diary of Pepys), and gives
    back the very string decoded before, whose digest the render cache finds kept in turn
    (:func:`octavo.batch.text_digest`). Only equal bytes are ever given the kept result.
    """
    if recall is None:
        return decode(data, path)
    kept = recall.get("decoded", name)
    if isinstance(kept, tuple) and len(kept) == 3 and kept[0] == data and kept[1] == path:
        return kept[2][0], list(kept[2][1])
    text, problems = decode(data, path)
    recall.put("decoded", name, (data, path, (text, tuple(problems))), 3 * len(data))
    return text, problems


FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(---|\.\.\.)[ \t]*(\n|\Z)", re.S)


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str, int, list[Diagnostic]]:
    """YAML between ``---`` lines at the very top; returns (meta, body, body's first line, problems)."""
    if not text.startswith("---"):
        return {}, text, 1, []
    match = FRONT_MATTER.match(text)
    if match is None:
        if re.match(r"\A---[ \t]*\n", text) and re.search(r"^\w[\w-]*:", text[4:200], re.M):
            return {}, text, 1, [error("front-matter.unclosed", "front matter is never closed", path, 1,
                                       hint="end the YAML block with a line of three dashes: ---")]
        return {}, text, 1, []
    first_line = text.count("\n", 0, match.end()) + 1
    body = text[match.end():]
    import yaml  # only for a book with front matter: a build without any need not load it

    try:
        meta = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as exc:
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        # An unclosed bracket is only noticed at the end: point at where it was opened instead.
        mark = getattr(exc, "context_mark" if "stream end" in reason else "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        return {}, body, first_line, [error("front-matter.yaml", f"invalid YAML front matter: {reason}", path,
                                            line, hint="values with ':' or '#' need quotes")]
    if not isinstance(meta, dict):
        return {}, body, first_line, [error("front-matter.yaml", "front matter must be key: value lines", path, 2)]
    return meta, body, first_line, []


def _unique_id(chapter: Chapter, explicit: bool, ids: dict[str, str]) -> tuple[Chapter, list[Diagnostic]]:
    """Explicit ids must be unique; derived ones fall back to the path, then to a counter."""
    if chapter.id in ids and explicit:
        other = ids[chapter.id]
        return chapter, [error("chapter.id", f"chapter id '{chapter.id}' is also used by '{other}'",
                               chapter.source, hint="set a different id: in the front matter of one of them")]
    base = chapter.id
    if base in ids:
        base = slugify(chapter.source.rsplit(".", 1)[0], "chapter")
    if base in RESERVED_IDS or base.startswith("part-"):
        base = f"chapter-{base}"
    new_id, n = base, 1
    while new_id in ids:
        n += 1
        new_id = f"{base}-{n}"
    ids[new_id] = chapter.source
    return replace(chapter, id=new_id), []


def _assemble(config: Config, chapters: Iterable[Chapter], part_titles: list[str]) -> Book:
    front = tuple(c for c in chapters if c.kind is Kind.FRONT)
    back = tuple(c for c in chapters if c.kind is Kind.BACK)
    body: list[Part | Chapter] = []
    for chapter in chapters:
        if chapter.kind in (Kind.FRONT, Kind.BACK) or chapter.draft:
            continue
        if chapter.part is None:
            body.append(chapter)
            continue
        index = chapter.part
        while len([b for b in body if isinstance(b, Part)]) <= index:
            n = len([b for b in body if isinstance(b, Part)])
            body.append(Part(id=f"part-{n + 1}", title=part_titles[n], number=n + 1, chapters=()))
        part = next(b for b in body if isinstance(b, Part) and b.number == index + 1)
        position = body.index(part)
        if chapter.kind is Kind.PART_INTRO:
            text = without_title(chapter.text, part.title)
            body[position] = replace(part, intro=replace(chapter, id=part.id, text=text))
        else:
            body[position] = replace(part, chapters=(*part.chapters, chapter))
    return Book(config=config, front=front, body=tuple(body), back=back)


def _finish_metadata(root: Path, book: Book) -> tuple[Book, list[Diagnostic]]:
    """Title for a folder without book.toml; the cover's path checked once, here."""
    meta: Metadata = book.config.meta
    problems: list[Diagnostic] = []
    if not meta.title:
        first = next(book.chapters(), None)
        heading = first_heading(first.text) if first else None
        title = (first.title if first else None) or heading or root.resolve().name
        meta = replace(meta, title=title, identifier=meta.identifier or default_identifier(title, meta.authors))
    cover: str | None = None
    cover_files: tuple[str, ...] = ()
    if meta.cover:
        line = key_line(root, "cover", book.config.file)
        try:
            cover = book_relative(root, "", meta.cover)
            if not (root / cover).is_file():
                problems.append(error("cover.missing", f"cover image '{meta.cover}' does not exist",
                                      book.config.file, line))
            else:
                cover_files, more = _check_cover(root, cover, book.config, line)
                problems += more
        except OutsideBook:
            problems.append(error("cover.outside", f"cover '{meta.cover}' is outside the book folder",
                                  book.config.file, line))
    config = replace(book.config, meta=meta)
    return replace(book, config=config, cover=cover, cover_files=cover_files), problems


def _check_cover(root: Path, cover: str, config: Config, line: int | None
                 ) -> tuple[tuple[str, ...], list[Diagnostic]]:
    """The cover is an image like any other: sound, safe, not a bomb. Returns the files it uses."""
    inspection = inspect_file(root, cover, Limits.megapixels(config.build.max_megapixels))
    if inspection.problem is not None:
        return (), [error("cover.invalid" if inspection.code == "image.invalid" else inspection.code,
                          f"cover image '{cover}': {inspection.problem}", config.file, line, hint=inspection.hint)]
    return inspection.files, [warning(finding.code, f"cover image '{finding.path or cover}' {finding.message}",
                                      config.file, line, hint=finding.hint) for finding in inspection.findings]


def without_title(text: str, title: str) -> str:
    """A part's intro without its first heading when that heading is the part's title (Quarto's
    part files open with it), so the part page shows its title once. The line is left blank, so
    later lines keep their numbers."""
    heading = first_heading(text)
    if heading is None or re.sub(r"\s*\{[^{}]*\}$", "", heading) != title:
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if re.match(r"^\s{0,3}#{1,6}\s", line):
            lines[index] = ""
            break
    return "\n".join(lines)


def first_heading(text: str) -> str | None:
    """The first ATX heading outside code fences, as plain text (for a title-less folder)."""
    fenced = False
    for line in text.splitlines():
        if re.match(r"^\s{0,3}(```|~~~)", line):
            fenced = not fenced
        match = None if fenced else re.match(r"^\s{0,3}#{1,6}\s+(.*?)(\s+#+)?\s*$", line)
        if match:
            return re.sub(r"[*_`]", "", match.group(1)).strip()
    return None
