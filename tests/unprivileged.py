"""Run octavo's command line as a user whom file permissions bind, for the tests of read-only outputs.

Root ignores permissions, so as root the command runs as ``nobody`` (``setpriv``) on a folder
given to it. Where ``nobody`` cannot start this Python (installed under ``/root``, which only root
may enter, as on this project's machines), it runs as root without the capabilities that override
permissions (``CAP_DAC_OVERRIDE`` and the rest): the kernel then checks the permission bits as it
does for any owner, which is what the tests are about. Not root: the command runs as it is.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ROOT

NOBODY = 65534


def environment(home: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}


@functools.cache
def runner() -> tuple[tuple[str, ...], int | None] | str:
    """The command prefix and the user that must own the test's folder; or why there is none."""
    if os.geteuid() != 0:
        return (), None
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return "running as root, and setpriv (util-linux) is not installed to run as another user"
    probe = Path(tempfile.mkdtemp(prefix="octavo-probe-"))
    try:
        os.chown(probe, NOBODY, NOBODY)
        nobody = (setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
        # what a build imports, not only the command line: with Debian's python3-click installed (Calibre
        # brings it), nobody finds click but not the packages pip put in root's home
        done = subprocess.run([*nobody, sys.executable, "-c", "import octavo.cli, octavo.pipeline"],
                              capture_output=True, env=environment(probe), cwd=probe, check=False)
        if done.returncode == 0:
            return nobody, NOBODY
        os.chown(probe, 0, 0)
        (probe / "read-only").mkdir(mode=0o555)
        capless = (setpriv, "--inh-caps=-all", "--bounding-set=-all")
        script = f"open({str(probe / 'read-only' / 'x')!r}, 'w')"
        done = subprocess.run([*capless, sys.executable, "-c", script], capture_output=True, text=True,
                              env=environment(probe), cwd=probe, check=False)
        if "PermissionError" in done.stderr:
            return capless, None
        return f"running as root, and neither nobody nor a root without capabilities can run {sys.executable}"
    finally:
        writable(probe)
        shutil.rmtree(probe, ignore_errors=True)


def writable(folder: Path) -> None:
    """Every folder in ``folder`` made writable again, so that it can be removed."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


@contextmanager
def shared_folder() -> Iterator[Path]:
    """A folder under the system's temporary folder, which another user can reach (pytest's
    ``tmp_path`` is in a folder only its owner may enter); removed afterwards, read-only or not."""
    folder = Path(tempfile.mkdtemp(prefix="octavo-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        writable(folder)
        shutil.rmtree(folder, ignore_errors=True)


def run_octavo(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``octavo ARGS`` in ``folder`` as a user whom permissions bind; the folder becomes theirs."""
    found = runner()
    if isinstance(found, str):
        pytest.skip(f"this test needs a user whom file permissions bind: {found}")
    prefix, owner = found
    if owner is not None:
        for path in [folder, *folder.rglob("*")]:
            os.lchown(path, owner, owner)
    return subprocess.run([*prefix, sys.executable, str(ROOT / "build.py"), *args], capture_output=True,
                          text=True, env=environment(folder), cwd=folder, check=False)
