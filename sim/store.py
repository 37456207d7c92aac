"""A result store on disk: parquet parts written as they finish, plus a manifest.

Layout of a store folder::

    manifest.json           kind (run | sweep | sensitivity), spec (scenario,
                            resolved params, overrides, seed, reps, points...),
                            package version, sessions, and one entry per
                            finished part
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
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from .validation import ScenarioError

MANIFEST = "manifest.json"
PARTS = "parts"
# what an earlier computation in the same folder may have left; a fresh start removes it
OUTPUTS = (
    "summary.json",
    "events.parquet",
    "trajectories.parquet",
    "gap.parquet",
    "staircase.parquet",
    "metrics.parquet",
    "sweep.parquet",
    "sweep_summary.csv",
    "sweep.json",
    "oat.csv",
    "sobol.csv",
)


def part_key(point: int, lo: int) -> str:
    """The name of the part holding replications from ``lo`` of sweep point ``point``
    (``p0003-r000040``): its files are ``parts/<key>.<table>.parquet``.
    """
    return f"p{point:04d}-r{lo:06d}"


def is_store(path) -> bool:
    """Whether ``path`` is a result store (holds a ``manifest.json``)."""
    return (Path(path) / MANIFEST).is_file()


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, path)


def _canonical(obj):
    """JSON round trip so specs compare equal however they were built (tuples, numpy)."""
    return json.loads(json.dumps(obj, default=str, sort_keys=True))


def write_tables(parts_dir, key: str, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Write a part's tables (each under a temporary name, then renamed). Workers
    that share the disk call this themselves, so the tables never travel back to
    the parent process; the part counts as finished only once the parent has
    entered it in the manifest."""
    for name, frame in tables.items():
        dest = Path(parts_dir) / f"{key}.{name}.parquet"
        tmp = dest.with_name(dest.name + ".tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, dest)
    return sorted(tables)


class Store:
    """A store folder. Open with :meth:`open` (to compute) or :meth:`read` (to load)."""

    def __init__(self, path, manifest: dict):
        self.path = Path(path)
        self.manifest = manifest

    # -- opening ----------------------------------------------------------------
    @classmethod
    def open(cls, path, kind: str, spec: dict, version: str, resume: bool = False) -> Store:
        """Open a store to compute into.

        Without ``resume``, a previous store or results in ``path`` are
        replaced. With ``resume``, ``path`` must hold a store of the same kind
        and spec (else :class:`ScenarioError`); its finished parts are kept.
        """
        path = Path(path)
        spec = _canonical(spec)
        if resume:
            if not is_store(path):
                raise ScenarioError(f"--resume: {str(path)!r} is not a result store (no {MANIFEST})")
            man = json.loads((path / MANIFEST).read_text())
            if man.get("kind") != kind:
                raise ScenarioError(
                    f"--resume: {str(path)!r} holds a {man.get('kind')!r} store, not {kind!r}"
                )
            if man.get("spec") != spec:
                diff = sorted(
                    k
                    for k in set(spec) | set(man.get("spec", {}))
                    if spec.get(k) != man.get("spec", {}).get(k)
                )
                raise ScenarioError(
                    f"--resume: {str(path)!r} was written with other settings "
                    f"({', '.join(diff)} differ); rerun with the same command line"
                )
            man["sessions"] = int(man.get("sessions", 0)) + 1
            man["complete"] = False
        else:
            if path.exists():
                # a fresh run replaces an earlier one in the same folder, as `run --out` always did
                shutil.rmtree(path / PARTS, ignore_errors=True)
                for f in (MANIFEST, *OUTPUTS):
                    (path / f).unlink(missing_ok=True)
            man = {
                "kind": kind,
                "spec": spec,
                "version": version,
                "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "sessions": 1,
                "complete": False,
                "parts": {},
            }
        (path / PARTS).mkdir(parents=True, exist_ok=True)
        store = cls(path, man)
        store.save_manifest()
        return store

    @classmethod
    def read(cls, path) -> Store:
        """Open the existing store at ``path``; ``FileNotFoundError`` if it is not one."""
        path = Path(path)
        if not is_store(path):
            raise FileNotFoundError(f"{path}: not a result store (no {MANIFEST})")
        return cls(path, json.loads((path / MANIFEST).read_text()))

    # -- writing ----------------------------------------------------------------
    def save_manifest(self) -> None:
        """Write the manifest atomically (a temporary file, renamed): a crash never leaves it half written."""
        _write_json_atomic(self.path / MANIFEST, self.manifest)

    @property
    def session(self) -> int:
        """This session's number: 1 for the first run, one more per ``--resume`` (parts record it)."""
        return int(self.manifest.get("sessions", 1))

    def done(self, point: int, lo: int) -> bool:
        """Whether the part of point ``point`` from replication ``lo`` is finished (in the manifest)."""
        return part_key(point, lo) in self.manifest["parts"]

    def read_part(self, point: int, lo: int, name: str) -> pd.DataFrame:
        """One table of one finished part."""
        return pd.read_parquet(self.path / PARTS / f"{part_key(point, lo)}.{name}.parquet")

    def write_part(
        self, point: int, lo: int, hi: int, tables: dict[str, pd.DataFrame], written: tuple = ()
    ) -> None:
        """Write one finished part (every table), then enter it in the manifest.
        ``written``: names of tables a worker already wrote (:func:`write_tables`)."""
        key = part_key(point, lo)
        write_tables(self.path / PARTS, key, tables)
        self.manifest["parts"][key] = {
            "point": point,
            "lo": lo,
            "hi": hi,
            "tables": sorted({*tables, *written}),
            "session": self.session,
        }
        self.save_manifest()

    def drop_parts(self, keep) -> None:
        """Forget parts for which ``keep(entry)`` is false (auto reps past the stop)."""
        for key, entry in list(self.manifest["parts"].items()):
            if not keep(entry):
                for name in entry["tables"]:
                    (self.path / PARTS / f"{key}.{name}.parquet").unlink(missing_ok=True)
                del self.manifest["parts"][key]
        self.save_manifest()

    def set(self, **fields) -> None:
        """Update manifest fields (e.g. ``finished=True``) and save it."""
        self.manifest.update(fields)
        self.save_manifest()

    # -- reading ----------------------------------------------------------------
    def entries(self, point: int | None = None) -> list[tuple[str, dict]]:
        """Finished parts in (point, rep) order."""
        items = [(k, e) for k, e in self.manifest["parts"].items() if point is None or e["point"] == point]
        return sorted(items, key=lambda ke: (ke[1]["point"], ke[1]["lo"]))

    def files(self, name: str, point: int | None = None) -> list[Path]:
        """Parquet files of table ``name`` over the finished parts of ``point`` (every point
        if None), in (point, rep) order.
        """
        return [
            self.path / PARTS / f"{k}.{name}.parquet" for k, e in self.entries(point) if name in e["tables"]
        ]

    def table(
        self, name: str, point: int | None = None, columns=None, with_point: bool = False
    ) -> pd.DataFrame:
        """One table concatenated over finished parts in (point, rep) order."""
        frames = []
        for k, e in self.entries(point):
            if name in e["tables"]:
                f = pd.read_parquet(self.path / PARTS / f"{k}.{name}.parquet", columns=columns)
                if with_point:
                    f.insert(0, "point", e["point"])
                frames.append(f)
        if not frames:
            return pd.DataFrame(columns=columns or [])
        return pd.concat(frames, ignore_index=True)

    def table_names(self) -> list[str]:
        """Names of the tables some finished part holds, sorted."""
        return sorted({n for _, e in self.entries() for n in e["tables"]})

    def consolidate(self, name: str, dest) -> bool:
        """Stream one table's parts into a single parquet file (one row group per
        part, so memory stays at one part). False if there were no parts."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = self.files(name)
        if not files:
            return False
        schemas = [pq.read_schema(f) for f in files]
        try:
            schema = pa.unify_schemas(schemas, promote_options="permissive")
        except (pa.ArrowInvalid, TypeError):  # incompatible parts: fall back to pandas
            pd.concat([pd.read_parquet(f) for f in files], ignore_index=True).to_parquet(dest, index=False)
            return True
        # keep the pandas metadata of the first part so dtypes read back as written
        schema = schema.with_metadata(schemas[0].metadata)
        tmp = Path(str(dest) + ".tmp")
        with pq.ParquetWriter(tmp, schema) as writer:
            for f in files:
                writer.write_table(pq.read_table(f).cast(schema))
        os.replace(tmp, dest)
        return True
