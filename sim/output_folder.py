"""Output folders: one writer at a time, and finished results never lost to a rerun.

Every command that writes a folder of results (``run``, ``sweep``,
``sensitivity``, ``compare``, ``plot``) goes through :func:`writing` (or
:func:`locked`), which applies these rules:

- **One writer.** An advisory lock, the file ``.NAME.lock`` beside the folder
  ``NAME``, is held (``fcntl.flock``) for the whole computation and holds the
  writer's pid. A second writer gets one error line naming that pid. The kernel
  drops the lock when its holder dies (``kill -9`` included), so a lock left by a
  dead process is stale by construction and simply taken over; no pid guessing.
  (POSIX only, and only between processes that see the same kernel: not a lock
  over NFS.)
- **Old results survive a failed rerun.** A fresh run into a folder that holds
  results computes into ``.NAME.partial`` beside it. Only when it has finished
  is the old folder renamed to ``.NAME.old``, the new one renamed into place and
  the old one deleted (two renames: a reader never sees a mix of old and new; an
  interruption between them is completed the next time the folder is opened).
  ``--resume NAME`` continues an interrupted rerun in ``.NAME.partial``, or an
  interrupted first run in ``NAME`` itself.
- **A first run computes in place.** An absent or empty folder has nothing to
  protect, so an interrupted first run leaves a resumable store in ``NAME``.
- **Only our folders are replaced.** A non-empty folder that is not a result
  store of this project (no valid ``manifest.json``) is refused unless
  ``force``; with ``force`` its content is replaced once the new results are
  complete.
- **Usable paths.** The folder may not be a file, lie under a file, be the
  current folder or one of its parents, or be unwritable: one error line each,
  before anything is computed. Default folders come from :func:`default_out`,
  a sanitised scenario name under ``results/``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .store import is_store, read_manifest
from .validation import ScenarioError, shown_path

__all__ = ["Target", "writing", "locked", "check", "default_out", "lock_path", "partial_path"]

RESULTS = Path("results")
#: Longest folder name a scenario name becomes.
MAX_FOLDER_NAME = 100


def default_out(name: str, suffix: str = "") -> Path:
    """``results/<name><suffix>`` with the name made safe for a folder name: letters,
    digits, ``.``, ``-`` and ``_`` are kept, anything else (``/``, ``..``, spaces,
    control characters) becomes ``_``, and leading dots are dropped, so the path
    always stays under ``results/``."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", str(name)).lstrip(".")[:MAX_FOLDER_NAME] or "scenario"
    return RESULTS / f"{safe}{suffix}"


def _sibling(out: Path, tag: str) -> Path:
    out = out.resolve()  # one lock per folder, however it is named (symlinks, ..)
    return out.parent / f".{out.name}.{tag}"


def lock_path(out) -> Path:
    """The lock file of an output folder: ``.NAME.lock`` beside it."""
    return _sibling(Path(out), "lock")


def partial_path(out) -> Path:
    """Where a rerun into an existing results folder computes: ``.NAME.partial`` beside it."""
    return _sibling(Path(out), "partial")


def _old_path(out: Path) -> Path:
    return _sibling(out, "old")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, someone else's
        return True
    return True


class _Lock:
    """The advisory lock of one output folder (see the module docstring)."""

    def __init__(self, out: Path):
        self.out = out
        self.path = lock_path(out)
        self.fd: int | None = None

    def acquire(self) -> _Lock:
        for _ in range(10):  # a holder may remove the file between our open and our lock
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise ScenarioError(
                    f"out: {shown_path(self.out)} is not allowed: cannot write in "
                    f"{shown_path(self.path.parent)} ({exc.strerror})"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise ScenarioError(
                        f"out: {shown_path(self.out)} cannot be locked ({exc.strerror})"
                    ) from None
                raise ScenarioError(self._busy(holder)) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                self.fd = fd
                return self
            os.close(fd)
        raise ScenarioError(f"out: {shown_path(self.out)} is being locked and unlocked by others; retry")

    def _busy(self, holder: str) -> str:
        where = f"out: {shown_path(self.out)} is in use"
        if not holder.isdigit():
            return f"{where} by another process (lock {shown_path(self.path)}); wait for it to finish"
        if _alive(int(holder)):
            return f"{where} by process {holder} (lock {shown_path(self.path)}); wait for it to finish"
        # a killed writer's workers still hold the lock until they notice and exit
        return (
            f"{where}: its writer, process {holder}, has died and its workers are exiting; retry in a moment"
        )

    def release(self) -> None:
        if self.fd is None:
            return
        # remove the file while still holding the lock, so a waiting opener sees a new inode
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def _check_path(out: Path) -> None:
    """One error line if ``out`` cannot be a results folder (see the module docstring)."""
    here, target = Path.cwd().resolve(), out.resolve()
    if target == here or target in here.parents:
        raise ScenarioError(
            f"out: {shown_path(out)} is not allowed: it is the current folder or one of its parents; "
            "give a folder for the results, e.g. results/NAME"
        )
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"out: {shown_path(out)} is not allowed: it is a file, not a folder")
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ScenarioError(f"out: {shown_path(out)} is not allowed: {shown_path(parent)} is a file")
            break
    try:
        out.absolute().parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(
            f"out: {shown_path(out)} is not allowed: cannot create its folder ({exc.strerror})"
        ) from None


def _state(out: Path) -> tuple[str, str]:
    """("absent" | "empty" | "ours" | "foreign", why it is foreign)."""
    if not out.exists():
        return "absent", ""
    if not any(out.iterdir()):
        return "empty", ""
    if not is_store(out):
        return "foreign", "it is not empty and holds no manifest.json of rdgap results"
    try:
        read_manifest(out)
    except ScenarioError as exc:
        return "foreign", f"its manifest.json is not valid ({exc})"
    return "ours", ""


def _complete(folder: Path) -> bool:
    try:
        return bool(read_manifest(folder).get("complete"))
    except ScenarioError:
        return False


def _recover(out: Path) -> None:
    """Finish (or undo) a swap that was interrupted between its two renames."""
    old, pending = _old_path(out), partial_path(out)
    if not old.exists():
        return
    if not out.exists():
        os.rename(pending if _complete(pending) else old, out)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _swap_in(pending: Path, out: Path) -> None:
    """Put the finished results of ``pending`` in place of ``out`` (see the module docstring)."""
    old = _old_path(out)
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        os.rename(out, old)
    os.rename(pending, out)
    shutil.rmtree(old, ignore_errors=True)


@dataclass(frozen=True)
class Target:
    """What :func:`writing` yields: compute in ``work``; the results end up in ``out``.

    ``resume``: ``work`` holds a store to continue (else it is new and empty).
    """

    out: Path
    work: Path
    resume: bool


@contextlib.contextmanager
def locked(out) -> Iterator[Path]:
    """Hold the lock of ``out`` (which must be usable as a results folder) for the block."""
    out = Path(out)
    _check_path(out)
    lock = _Lock(out).acquire()
    try:
        _recover(out)
        yield out
    finally:
        lock.release()


@contextlib.contextmanager
def writing(out, *, resume: bool = False, force: bool = False) -> Iterator[Target]:
    """Lock ``out`` and yield the :class:`Target` to compute into; on a normal exit from
    the block the results are put in place (an exception leaves the old results, and a
    partial store that ``resume`` continues). Rules in the module docstring; every
    refusal is one :class:`ScenarioError` line, raised before the block runs."""
    with locked(out) as out:
        pending = partial_path(out)
        if resume:
            if is_store(pending):  # an interrupted rerun: continue it
                yield Target(out, pending, True)
                _swap_in(pending, out)
            else:  # an interrupted first run (Store.open says so if there is no store)
                yield Target(out, out, True)
            return
        state, why = _state(out)
        if state == "foreign" and not force:
            raise ScenarioError(
                f"out: {shown_path(out)} is not allowed: {why}; give a new or empty folder, "
                "or --force to replace its content"
            )
        shutil.rmtree(pending, ignore_errors=True)  # an abandoned rerun; this one starts afresh
        if state in ("absent", "empty"):
            out.mkdir(parents=True, exist_ok=True)
            yield Target(out, out, False)
            return
        pending.mkdir()
        yield Target(out, pending, False)
        _swap_in(pending, out)


def check(out, *, force: bool = False) -> None:
    """Refuse now what :func:`writing` would refuse (for commands that compute before
    they write, e.g. ``compare``); the lock is not kept."""
    with locked(out) as out:
        state, why = _state(out)
        if state == "foreign" and not force:
            raise ScenarioError(
                f"out: {shown_path(out)} is not allowed: {why}; give a new or empty folder, "
                "or --force to replace its content"
            )
