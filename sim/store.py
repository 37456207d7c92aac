"""A result store on disk: parquet parts written as they finish, plus a manifest.

Layout of a store folder::

    manifest.json           kind (run | sweep | sensitivity | compare | saved),
                            spec (scenario, resolved params, overrides, seed,
                            reps, points...), package version, sessions, one
                            entry per finished part, and every output file
    parts/p0003-r000010.metrics.parquet    per (rep, follower) headline figures
    parts/p0003-r000010.gap.parquet        (and events, trajectories, staircase,
                                            ... when tables are kept)

A *part* is one batch of replications ``[lo, hi)`` of one sweep point (a plain
run has one point, 0). Each file is written under a temporary name and renamed,
and the part is entered in the manifest (also replaced atomically) only after
all its files are in place. So a part is finished if and only if the manifest
lists it: an interrupt (Ctrl-C, a killed process or worker) leaves a readable
store of finished parts, and ``--resume`` computes only the parts that are
missing. Each manifest entry records the session that computed it
(``sessions`` counts how often the store was opened to compute), which is how
tests check that resuming did not recompute finished parts.

The manifest is the authority on what a folder holds. It records the size and
the BLAKE2b hash (``hashlib.blake2b``, 32-byte digest, of the file's bytes) of
every part file, computed by whoever wrote the file (a worker process or this
one), and of every output (the consolidated tables, ``metrics.parquet``,
``summary.json``, ...). On resume, a part whose file is missing, unreadable or
differs from its record is dropped and recomputed; loading trusts only the files
the manifest lists, and only if they match. The manifest itself is validated
(:class:`Manifest`): a corrupt or empty one is one error line, and its file and
table names can never point outside the folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .validation import ScenarioError, describe_error, shown, shown_path

MANIFEST = "manifest.json"
PARTS = "parts"
#: Manifest layout: 2 records file sizes and hashes.
FORMAT = 2
KINDS = ("run", "sweep", "sensitivity", "compare", "saved")
#: Largest manifest read (bytes): ~300 bytes a part, so millions of parts.
MAX_MANIFEST_BYTES = 512 * 2**20
_CHUNK = 2**20

TableName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")]
# a plain file name in the folder: no separator, no leading dot
FileName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FileRecord(_Record):
    """Size (bytes) and BLAKE2b hash (hex, 32-byte digest) of one file."""

    size: int = Field(ge=0)
    blake2b: str = Field(pattern=r"^[0-9a-f]{64}$")


class PartEntry(_Record):
    """One finished part: reps ``[lo, hi)`` of point ``point``, its tables and their files."""

    point: int = Field(ge=0)
    lo: int = Field(ge=0)
    hi: int = Field(ge=1)
    tables: list[TableName]
    files: dict[TableName, FileRecord] = {}  # empty in stores written before hashes (format 1)
    session: int = Field(ge=1)

    @model_validator(mode="after")
    def _order(self):
        if self.hi <= self.lo:
            raise ValueError(f"hi {self.hi} must exceed lo {self.lo}")
        return self


class Manifest(_Record):
    """What ``manifest.json`` must hold (validated whenever a store is read)."""

    format: int = Field(1, ge=1, le=FORMAT)
    kind: Literal[KINDS]  # type: ignore[valid-type]
    spec: dict[str, Any]
    version: str
    created: str
    sessions: int = Field(ge=1)
    complete: bool
    parts: dict[str, PartEntry]
    history: list | None = None
    consolidated: list[TableName] = []
    outputs: dict[FileName, FileRecord] = {}
    summary: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _keys(self):
        for key, e in self.parts.items():
            if key != part_key(e.point, e.lo):
                raise ValueError(f"part {shown(key)} is not named for its point {e.point} and lo {e.lo}")
        return self


def part_key(point: int, lo: int) -> str:
    """The name of the part holding reps ``[lo, ...)`` of ``point``: ``p0003-r000010``."""
    return f"p{point:04d}-r{lo:06d}"


def is_store(path) -> bool:
    """Whether ``path`` holds a ``manifest.json`` (valid or not: see :func:`read_manifest`)."""
    return (Path(path) / MANIFEST).is_file()


def bytes_record(data: bytes) -> dict:
    """``{"size", "blake2b"}`` of some bytes."""
    return {"size": len(data), "blake2b": hashlib.blake2b(data, digest_size=32).hexdigest()}


def file_record(path) -> dict:
    """``{"size", "blake2b"}`` of a file, read in chunks."""
    h, size = hashlib.blake2b(digest_size=32), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return {"size": size, "blake2b": h.hexdigest()}


def matches(path: Path, record: dict | None) -> bool:
    """Whether ``path`` is a file whose size and hash are ``record``'s (``None``: it
    exists and pyarrow can read its footer, for stores written before hashes)."""
    try:
        if record is None:
            import pyarrow.parquet as pq

            pq.read_metadata(path)
            return True
        if path.stat().st_size != record["size"]:
            return False
        return file_record(path) == record
    except Exception:  # missing, unreadable: pyarrow raises several types for a bad footer
        return False


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` under a temporary name, then rename it into place."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A table as the bytes of a parquet file (hashed, then written, by the caller)."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _canonical(obj):
    """JSON round trip so specs compare equal however they were built (tuples, numpy)."""
    return json.loads(json.dumps(obj, default=str, sort_keys=True))


def read_manifest(path) -> dict:
    """The validated manifest of the store in ``path``; one :class:`ScenarioError` line
    if it is missing, not JSON, or not a manifest of this project."""
    f = Path(path) / MANIFEST
    where = f"manifest: {shown_path(f)}"
    try:
        with open(f, "rb") as fh:
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"{where} cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ScenarioError(f"{where} is larger than {MAX_MANIFEST_BYTES // 2**20} MiB; not a manifest")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        pos = (
            f" ({exc.msg} at line {exc.lineno} column {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise ScenarioError(f"{where} is not valid JSON{pos}; the store is damaged") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{where} is not a manifest of rdgap results (not a JSON object)")
    try:
        Manifest.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{where} is not a manifest of rdgap results: {describe_error(exc)}") from None
    data.setdefault("outputs", {})
    data.setdefault("consolidated", [])
    return data


def write_tables(parts_dir, key: str, tables: dict[str, pd.DataFrame]) -> dict[str, dict]:
    """Write a part's tables (each under a temporary name, then renamed); returns each
    table's file record (size and hash of the bytes written). Workers that share the
    disk call this themselves, so the tables never travel back to the parent process;
    the part counts as finished only once the parent has entered it in the manifest."""
    records = {}
    for name, frame in tables.items():
        data = parquet_bytes(frame)
        write_atomic(Path(parts_dir) / f"{key}.{name}.parquet", data)
        records[name] = bytes_record(data)
    return records


class Store:
    """A store folder. Open with :meth:`open` (to compute) or :meth:`read` (to load)."""

    def __init__(self, path, manifest: dict):
        self.path = Path(path)
        self.manifest = manifest
        #: what opening found and did (dropped damaged parts, a complete store), for the user
        self.notes: list[str] = []

    # -- opening ----------------------------------------------------------------
    @classmethod
    def open(cls, path, kind: str, spec: dict, version: str, resume: bool = False) -> Store:
        """Open a store to compute into.

        Without ``resume``, a new store in ``path`` (a new or empty folder: see
        :func:`sim.output_folder.writing`, which also replaces old results only
        once the new ones are complete). With ``resume``, ``path`` must hold a
        store of the same kind and spec (else :class:`ScenarioError`); its
        finished parts are kept once verified, damaged ones are dropped (see
        :attr:`notes`), and a complete store is left as it is (:attr:`complete`).
        """
        path = Path(path)
        spec = _canonical(spec)
        if resume:
            if not is_store(path):
                raise ScenarioError(f"--resume: {shown_path(path)} is not a result store (no {MANIFEST})")
            man = read_manifest(path)
            if man["kind"] != kind:
                raise ScenarioError(
                    f"--resume: {shown_path(path)} holds a {man['kind']!r} store, not {kind!r}"
                )
            if man["spec"] != spec:
                diff = sorted(k for k in set(spec) | set(man["spec"]) if spec.get(k) != man["spec"].get(k))
                raise ScenarioError(
                    f"--resume: {shown_path(path)} was written with other settings "
                    f"({', '.join(diff)} differ); rerun with the same command line"
                )
            store = cls(path, man)
            if man["complete"] and store._intact():
                store.notes.append(f"{path} is complete: nothing to recompute")
                return store
            man["sessions"] = int(man["sessions"]) + 1
            man["complete"] = False
            store._drop_damaged()
        else:
            man = {
                "format": FORMAT,
                "kind": kind,
                "spec": spec,
                "version": version,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "sessions": 1,
                "complete": False,
                "parts": {},
                "outputs": {},
                "consolidated": [],
            }
            store = cls(path, man)
        if kind in ("run", "sweep", "sensitivity"):  # the kinds that compute in parts
            (path / PARTS).mkdir(parents=True, exist_ok=True)
        store.save_manifest()
        return store

    @classmethod
    def read(cls, path) -> Store:
        """A store to load from (its manifest validated); one error line if it is not one."""
        path = Path(path)
        if not is_store(path):
            raise ScenarioError(f"{shown_path(path)} is not a result store (no {MANIFEST})")
        return cls(path, read_manifest(path))

    def _intact(self) -> bool:
        """Every output, and every part file a load would read, matches its record (the
        parts of consolidated tables were deleted on purpose)."""
        done = set(self.manifest["consolidated"])
        return all(matches(self.path / n, r) for n, r in self.manifest["outputs"].items()) and all(
            matches(self.part_file(k, n), e.get("files", {}).get(n))
            for k, e in self.manifest["parts"].items()
            for n in e["tables"]
            if n not in done
        )

    def _drop_damaged(self) -> None:
        """Forget parts whose files are missing or differ from their records, and outputs
        that no longer match (a resumed store recomputes and rewrites them)."""
        bad = [
            k
            for k, e in self.manifest["parts"].items()
            if not all(matches(self.part_file(k, n), e.get("files", {}).get(n)) for n in e["tables"])
        ]
        if bad:
            self.drop_parts(lambda e: part_key(e["point"], e["lo"]) not in bad, save=False)
            self.notes.append(f"{len(bad)} damaged or missing part(s) dropped, recomputing them")
        self.manifest["outputs"] = {}
        self.manifest["consolidated"] = []
        for tmp in (self.path / PARTS).glob("*.tmp"):  # writes an interrupt cut short
            tmp.unlink(missing_ok=True)

    # -- writing ----------------------------------------------------------------
    def save_manifest(self) -> None:
        """Write the manifest atomically (a temporary file, renamed): a crash never leaves it half written."""
        write_atomic(self.path / MANIFEST, json.dumps(self.manifest, indent=1, default=str).encode())

    @property
    def session(self) -> int:
        """This session's number: 1 for the first run, one more per ``--resume`` (parts record it)."""
        return int(self.manifest.get("sessions", 1))

    @property
    def complete(self) -> bool:
        """Whether every part and output is in place (a resume has nothing to do)."""
        return bool(self.manifest.get("complete"))

    def part_file(self, key: str, name: str) -> Path:
        """The file of table ``name`` of part ``key``."""
        return self.path / PARTS / f"{key}.{name}.parquet"

    def done(self, point: int, lo: int) -> bool:
        """Whether the part of ``point`` starting at rep ``lo`` is finished (listed in the manifest)."""
        return part_key(point, lo) in self.manifest["parts"]

    def read_part(self, point: int, lo: int, name: str) -> pd.DataFrame:
        """One table of one finished part (verified against the manifest when it was opened)."""
        return pd.read_parquet(self.part_file(part_key(point, lo), name))

    def write_part(
        self, point: int, lo: int, hi: int, tables: dict[str, pd.DataFrame], written: dict | None = None
    ) -> None:
        """Write one finished part (every table), then enter it in the manifest.
        ``written``: records of tables a worker already wrote (:func:`write_tables`)."""
        key = part_key(point, lo)
        files = {**dict(written or {}), **write_tables(self.path / PARTS, key, tables)}
        self.manifest["parts"][key] = {
            "point": point,
            "lo": lo,
            "hi": hi,
            "tables": sorted(files),
            "files": files,
            "session": self.session,
        }
        self.save_manifest()

    def drop_parts(self, keep, save: bool = True) -> None:
        """Forget parts for which ``keep(entry)`` is false, deleting their files."""
        for key, entry in list(self.manifest["parts"].items()):
            if not keep(entry):
                for name in entry["tables"]:
                    self.part_file(key, name).unlink(missing_ok=True)
                del self.manifest["parts"][key]
        if save:
            self.save_manifest()

    def set(self, **fields) -> None:
        """Set top-level manifest fields (``complete``, ``history``, ...) and save it."""
        self.manifest.update(fields)
        self.save_manifest()

    def write_output(self, name: str, data: bytes) -> Path:
        """Write an output file of the folder (atomically) and record it in the manifest."""
        path = self.path / name
        write_atomic(path, data)
        self.manifest["outputs"][name] = bytes_record(data)
        self.save_manifest()
        return path

    # -- reading ----------------------------------------------------------------
    def entries(self, point: int | None = None) -> list[tuple[str, dict]]:
        """Finished parts in (point, rep) order."""
        items = [(k, e) for k, e in self.manifest["parts"].items() if point is None or e["point"] == point]
        return sorted(items, key=lambda ke: (ke[1]["point"], ke[1]["lo"]))

    def files(self, name: str, point: int | None = None) -> list[Path]:
        """The part files of table ``name`` (of one point if given), in (point, rep) order."""
        return [self.part_file(k, name) for k, e in self.entries(point) if name in e["tables"]]

    def _checked(self, path: Path, record: dict | None) -> Path:
        if not matches(path, record):
            raise ScenarioError(
                f"{shown_path(path)} is missing or differs from the store's manifest; "
                f"recompute it with --resume {self.path}"
            )
        return path

    def output(self, name: str) -> Path:
        """The path of a recorded output file, verified against its record."""
        record = self.manifest["outputs"].get(name)
        if record is None:
            raise ScenarioError(f"{shown_path(self.path)}: the manifest lists no {name}; resume the store")
        return self._checked(self.path / name, record)

    def table(
        self, name: str, point: int | None = None, columns=None, with_point: bool = False
    ) -> pd.DataFrame:
        """One table concatenated over finished parts in (point, rep) order; every part
        file is verified against the manifest first."""
        frames = []
        for k, e in self.entries(point):
            if name in e["tables"]:
                f = self._checked(self.part_file(k, name), e.get("files", {}).get(name))
                frame = pd.read_parquet(f, columns=columns)
                if with_point:
                    frame.insert(0, "point", e["point"])
                frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=columns or [])
        return pd.concat(frames, ignore_index=True)

    def table_names(self) -> list[str]:
        """Names of the tables the finished parts hold."""
        return sorted({n for _, e in self.entries() for n in e["tables"]})

    def consolidate(self, name: str, dest_name: str | None = None) -> bool:
        """Stream one table's parts into a single parquet file ``<name>.parquet`` in the
        store folder (one row group per part, so memory stays at one part) and record it
        in the manifest's outputs. False if there were no parts."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = self.files(name)
        if not files:
            return False
        dest_name = dest_name or f"{name}.parquet"
        dest = self.path / dest_name
        schemas = [pq.read_schema(f) for f in files]
        try:
            schema = pa.unify_schemas(schemas, promote_options="permissive")
        except (pa.ArrowInvalid, TypeError):  # incompatible parts: fall back to pandas
            data = parquet_bytes(pd.concat([pd.read_parquet(f) for f in files], ignore_index=True))
            write_atomic(dest, data)
            self.manifest["outputs"][dest_name] = bytes_record(data)
            return True
        # keep the pandas metadata of the first part so dtypes read back as written
        schema = schema.with_metadata(schemas[0].metadata)
        tmp = Path(str(dest) + ".tmp")
        with pq.ParquetWriter(tmp, schema) as writer:
            for f in files:
                writer.write_table(pq.read_table(f).cast(schema))
        record = file_record(tmp)
        os.replace(tmp, dest)
        # the manifest is saved by the caller once every table is consolidated (threads)
        self.manifest["outputs"][dest_name] = record
        return True
