"""Images from web addresses, for ``--allow-remote``: downloaded once, checked, kept in a cache.

An EPUB must carry its images (EPUBCheck refuses remote resources) and the PDF's fetcher reads
only local files, so a remote image becomes a file of the outputs: ``remote/<hash>.<ext>``, where
the hash is of the URL (the same address always gets the same name) and the extension comes from
the downloaded bytes, not from the address or what the server claims. The bytes are checked like
a local image (:func:`octavo.assets.inspect_data`), so a web page served as ``.png`` or an SVG with a
script never reaches an output.

Downloads are kept in ``<output>/.cache/remote`` under that same name, so a later build reuses
them without touching the network (and gives the same bytes). Only this module opens connections,
and only for addresses the book's chapters use when the build allows it.
"""

from __future__ import annotations

import hashlib
import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import IO

from octavo import __version__, svg
from octavo.assets import MEDIA_TYPES, Limits, extension, inspect_data, sniff, write_atomically

FOLDER = "remote"  # where downloaded images live, in the cache and in every output
TIMEOUT = 20.0  # seconds for a whole download
LIMIT = 20 * 1024 * 1024  # bytes
PARALLEL = 4  # downloads at a time: enough to hide latency, few enough to be polite to one server
CHUNK = 64 * 1024
SCHEMES = ("http://", "https://")
KINDS = tuple(dict.fromkeys(kind for kind in MEDIA_TYPES.values() if kind.startswith("image/")))


@dataclass(frozen=True)
class Store:
    """Where downloads are kept and how they are made; ``reuse=False`` downloads again (``--no-cache``)."""

    folder: Path
    reuse: bool = True
    timeout: float = TIMEOUT
    limit: int = LIMIT
    images: Limits = field(default_factory=Limits)  # what a download must be as an image, like a book's own


@dataclass(frozen=True)
class Downloaded:
    url: str
    name: str  # its book path in every output: remote/<hash>.<ext>
    file: Path  # the checked file in the cache


@dataclass(frozen=True)
class Failed:
    url: str
    reason: str


class _Refused(Exception):
    """A download that cannot become an image of the book; the message says why, for the user."""


def stem(url: str) -> str:
    """The first 16 hex digits of the URL's SHA-256: stable across builds and machines."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def fetch_all(urls: Iterable[str], store: Store) -> dict[str, Downloaded | Failed]:
    """Each distinct URL fetched once (from the cache where it can be), in the order given."""
    distinct = list(dict.fromkeys(urls))
    if not distinct:
        return {}
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(distinct))) as pool:
        return dict(zip(distinct, pool.map(lambda url: fetch(url, store), distinct), strict=True))


def fetch(url: str, store: Store) -> Downloaded | Failed:
    """The image at ``url`` as a checked file in the store: the cached one, or a new download."""
    if not url.lower().startswith(SCHEMES):
        return Failed(url, "only http and https addresses can be downloaded")
    if store.reuse:
        cached = _cached(url, store)
        if cached is not None:
            return cached
    try:
        data, claimed = _download(url, store.timeout, store.limit)
    except _Refused as exc:
        return Failed(url, str(exc))
    kind = sniff(data)
    if kind is None:
        return Failed(url, f"the download is not an image octavo knows (JPEG, PNG, GIF, WebP or SVG); "
                           f"the server called it {claimed or 'nothing'}")
    problem = inspect_data(data, kind, store.images).problem
    if problem is not None:
        return Failed(url, problem.replace("the file", "the download"))
    if kind == "image/svg+xml" and svg.has_doctype(data):
        data = svg.without_doctype(data)  # as a book's own SVG is carried (see octavo.svg)
    try:
        file = _keep(store.folder, stem(url), extension(kind), data)
    except OSError as exc:
        return Failed(url, f"it cannot be kept in {store.folder}: {exc.strerror or exc}")
    return Downloaded(url, f"{FOLDER}/{file.name}", file)


def _cached(url: str, store: Store) -> Downloaded | None:
    """The earlier download of ``url``, if there is one and it is still a sound image."""
    for kind in KINDS:
        name = f"{stem(url)}{extension(kind)}"
        file = store.folder / name
        try:
            data = file.read_bytes()
        except OSError:
            continue
        if inspect_data(data, kind, store.images).problem is None:
            return Downloaded(url, f"{FOLDER}/{name}", file)
    return None


def _download(url: str, timeout: float, limit: int) -> tuple[bytes, str]:
    """The body and the claimed content type, or :class:`_Refused` with the reason."""
    request = urllib.request.Request(url, headers={"User-Agent": f"octavo/{__version__} (ebook builder)"})
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            headers: Message = response.headers
            length = headers.get("Content-Length", "")
            if length.isdigit() and int(length) > limit:
                raise _Refused(f"it is larger than {_megabytes(limit)}")
            return _read(response, timeout, limit), headers.get_content_type()
    except urllib.error.HTTPError as exc:
        raise _Refused(f"the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _Refused(f"no answer within {timeout:g} s") from None
        reason = getattr(exc.reason, "strerror", None) or exc.reason
        raise _Refused(f"it could not be reached ({reason})") from None
    except TimeoutError:
        raise _Refused(f"no answer within {timeout:g} s") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:  # a dropped connection, a bad answer
        raise _Refused(f"the download failed ({exc or type(exc).__name__})") from None


def _read(response: IO[bytes], timeout: float, limit: int) -> bytes:
    """The body in chunks, stopping at the size limit or after ``timeout`` seconds in all (the
    socket's own timeout is per read, so a server that trickles could otherwise stall the build)."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise _Refused(f"it is larger than {_megabytes(limit)}")
        if time.monotonic() > deadline:
            raise _Refused(f"the download took longer than {timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _keep(folder: Path, name: str, suffix: str, data: bytes) -> Path:
    """Write atomically, so a build interrupted mid-write never leaves half an image to reuse; an
    earlier download of the address as another type goes, so a later build cannot pick it up."""
    target = folder / f"{name}{suffix}"
    write_atomically(target, data)
    for other in {extension(kind) for kind in KINDS} - {suffix}:
        (folder / f"{name}{other}").unlink(missing_ok=True)
    return target


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http and https addresses only (urllib would also follow one to ftp)."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: http.client.HTTPMessage, newurl: str) -> urllib.request.Request | None:
        if not newurl.lower().startswith(SCHEMES):
            raise _Refused(f"it redirects to '{newurl}', which is not a web address")
        return super().redirect_request(req, fp, code, msg, headers, newurl)
