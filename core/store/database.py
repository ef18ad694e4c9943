"""The DuckDB file: opening it, its schema versions, connections and transactions. Every other store module
is one aggregate's SQL on top of this.

Connections are short-lived (one per operation, or one per `transaction()`), because DuckDB locks the whole
file for a writer: a long run that held a connection open would lock the dashboard out. Between two writes
the file is free, and a reader that meets the lock retries briefly before giving up with `StoreBusyError`.

One write style: every write method runs in `transaction()`, which joins a transaction already open on the
same thread, so a service can make several writes land together (`with store.transaction(): ...`).

Nothing is written into a file that cannot be ours or is damaged: before DuckDB opens it, a file that is not a
DuckDB file (a SQLite file, text) and a write-ahead log that is not DuckDB's are refused; before the first write
(and, with `verify`, before any read) the checksum of every block is checked, so a damaged block or a file cut
short is found while the file and its log are still byte for byte as they were. DuckDB never fetches
or loads extensions on its own (`CONFIG`): opening a foreign file must not download code."""
from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import pandas as pd

from core.errors import StoreBusyError, StoreError
from core.paths import DEFAULT_DB

# Migrations as data: migrations/NNN_*.sql upgrades a file from version NNN - 1 to NNN.
MIGRATIONS: list[str] = [path.read_text(encoding="utf-8") for path in
                         sorted(resources.files("core.store").joinpath("migrations").iterdir(), key=lambda p: p.name)
                         if path.name.endswith(".sql")]
SCHEMA_VERSION = len(MIGRATIONS)

# One connection of a process at a time: opening a connection in one thread while another thread closes the
# last one tears DuckDB's database instance down under the opener (seen in CI as "pandas_scan does not exist"
# when the call cache's writer thread met the labeling thread). Operations are short, so threads just queue.
_CONNECTIONS = threading.RLock()
# what DuckDB says when a file's blocks fail their checksums or the file is cut short
DAMAGE_SIGNS = ("corrupt", "checksum", "could not read enough bytes", "not a valid duckdb database")
# every connection: no extension is installed (downloaded) or loaded because a query or a file asks for one
CONFIG: dict[str, str | bool | int | float | list[str]] = {"autoinstall_known_extensions": False,
                                                            "autoload_known_extensions": False}
DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
# a WAL written by DuckDB 1.1 or later opens with its version entry: field 100 (the entry type) = 98 (WAL_VERSION)
WAL_MAGIC = b"d\x00b"
HEADER_BYTES = 3 * 4096  # the file header and the two database headers before the first block
CHECKSUM_FACTOR = np.uint64(0xBF58476D1CE4E5B9)


def damaged(path: Path, exc: Exception) -> StoreError:
    return StoreError(f"{path}: this file is damaged ({str(exc).splitlines()[0][:160]}); nothing was written to it. "
                      "Restore it from a backup, or rebuild it (`python -m core demo`, or import the data again "
                      "into a new --db file)")


def _checksum(block: bytes) -> int:
    """DuckDB's checksum of a block or header: the first 8 bytes hold it, computed over the rest as 64-bit words."""
    words = np.frombuffer(block, dtype="<u8", offset=8)
    with np.errstate(over="ignore"):  # the multiplication is meant to wrap around
        return int(np.bitwise_xor.reduce(words * CHECKSUM_FACTOR)) ^ 5381


def block_problem(path: Path, block_size: int, highest_used: int) -> str | None:
    """What is wrong with a DuckDB file's headers and blocks, or None: a checksum that fails, or a file cut short
    (a partial block, or fewer blocks than the highest one its catalog uses). Free blocks are checked too: DuckDB
    leaves a freed block's last written content, checksum included, in place."""
    body = path.stat().st_size - HEADER_BYTES
    blocks = max(body, 0) // block_size
    if body < 0 or body % block_size or highest_used >= blocks:
        return (f"it has {path.stat().st_size} bytes, {'' if body % block_size else 'only '}{blocks} whole blocks of "
                f"{block_size} bytes where its catalog uses block {highest_used}: it was cut short")
    with open(path, "rb") as handle:
        main, first, second = (handle.read(4096) for _ in range(3))
        if _checksum(main) != int.from_bytes(main[:8], "little") or not any(
                _checksum(h) == int.from_bytes(h[:8], "little") for h in (first, second)):
            return "its headers fail their checksums"
        for index in range(blocks):
            block = handle.read(block_size)
            if _checksum(block) != int.from_bytes(block[:8], "little"):
                return f"block {index} of {blocks} fails its checksum"
    return None


def _wal_head(wal: Path) -> bytes:
    """The first bytes of a write-ahead log, b"" where there is none. A writer in another process checkpoints
    and deletes its log at any moment, so a log seen a moment ago may be gone when opened: that is no log."""
    try:
        with open(wal, "rb") as handle:
            return handle.read(len(WAL_MAGIC))
    except FileNotFoundError:
        return b""


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Database:
    """A pseudolens DuckDB file. Opening creates it (read-write) or upgrades an older schema."""

    def __init__(self, path: str | Path = DEFAULT_DB, read_only: bool = False, lock_timeout: float = 10.0,
                 create: bool = True, verify: bool = True):
        """`create`: a missing file may be created (read-write only; its folder must exist, none is made).
        `verify`: read every table's blocks once on opening (always before a read-write open); the dashboard's
        reader skips it and meets damage, if any, in the queries it makes."""
        self.path = Path(path)
        self.read_only = read_only
        self.lock_timeout = lock_timeout
        self._local = threading.local()
        try:
            exists = self._check_file(create)
        except OSError as exc:  # a folder on the way that may not be entered, a file that may not be read
            raise StoreError(f"cannot open {self.path}: {exc.strerror or exc}; nothing was written") from None
        if exists and (verify or not read_only):
            self._verify()
        self._check_schema()

    # -- before DuckDB writes anything --------------------------------------------------------

    def _check_file(self, create: bool) -> bool:
        """Refuses a path pseudolens must not open or cannot write; returns whether the file exists."""
        path, folder = self.path, self.path.parent
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a database file")
        if not path.exists():
            if self.read_only or not create:
                raise StoreError(f"no database at {path}; build one with `python -m core demo` or import data")
            if not folder.is_dir():
                raise StoreError(f"cannot create {path}: the folder {folder} does not exist; nothing was created")
            if not os.access(folder, os.W_OK):
                raise StoreError(f"cannot create {path}: the folder {folder} is not writable; nothing was created")
            return False
        with open(path, "rb") as handle:
            head = handle.read(16)
        if not head:
            return False  # an empty file: DuckDB makes a new database in it, as in a missing one
        if head[8:12] != DUCKDB_MAGIC:
            what = "a SQLite database" if head.startswith(b"SQLite format 3") else f"it starts with {head!r}"
            raise StoreError(f"{path} is not a pseudolens database ({what}); it was not opened and nothing was "
                             "written. Pass a pseudolens database with --db")
        if not WAL_MAGIC.startswith(_wal_head(path.with_name(path.name + ".wal"))):  # b"": none, or not yet written
            raise StoreError(f"{path}: its write-ahead log {path.name}.wal is not one DuckDB wrote (damaged, or "
                             "copied from elsewhere); nothing was written to either. Restore both from a "
                             "backup, or move the .wal aside to open the file as of its last checkpoint")
        if not self.read_only:
            if not os.access(path, os.W_OK):
                raise StoreError(f"cannot write {path}: the file is read-only; nothing was written")
            if not os.access(folder, os.W_OK):
                raise StoreError(f"cannot write {path}: its folder {folder} is not writable (DuckDB writes its log "
                                 f"{path.name}.wal there); nothing was written")
        return True

    def _verify(self) -> None:
        """Opens the file read-only (DuckDB reads its headers and catalog), then checks the checksum of every
        block the file holds and that none it uses is missing: DuckDB itself checks a block only when a query
        reads it, so a damaged block a command does not read (an index, another table) would be written around.
        The blocks are read while the connection is open: its shared lock keeps out a writer in another process,
        whose checkpoint would otherwise free and cut off blocks the catalog just read still names (a sound file was
        once called "cut short" so, in the SIGKILL test, by a reader checking while a labeling run wrote)."""
        with self.connect(read_only=True) as con:
            block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchall()[0][0]
            used = [con.execute("SELECT coalesce(max(block_id), -1) FROM pragma_metadata_info()").fetchall()[0][0]]
            for (table,) in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall():
                used.append(con.execute(
                    "SELECT coalesce(max(greatest(block_id, coalesce(list_max(additional_block_ids), -1))), -1) "
                    "FROM pragma_storage_info(?)", [table]).fetchall()[0][0])
            problem = block_problem(self.path, block_size, max(used))
        if problem:
            raise damaged(self.path, ValueError(problem))

    # -- connections -------------------------------------------------------------------------

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only, config=CONFIG)
            except duckdb.Error as exc:
                # another process holds the write lock, or this process has the file open in the other mode
                # (a dashboard writing a verdict while another session reads): both pass in a moment
                message = str(exc).lower()
                if any(sign in message for sign in DAMAGE_SIGNS):
                    raise damaged(self.path, exc) from exc
                if "lock" not in message and "different configuration" not in message:
                    raise StoreError(f"cannot open {self.path}: {exc}") from exc
                if time.monotonic() > deadline:
                    raise StoreBusyError(
                        f"{self.path} is in use by another process (a run in progress?); try again when it finishes"
                    ) from exc
                time.sleep(0.05)

    @contextmanager
    def connect(self, read_only: bool | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for reads: the open transaction's on this thread, else a short-lived one (read-only when
        asked, else in the store's mode)."""
        active = getattr(self._local, "con", None) or getattr(self._local, "session", None)
        if active is not None:
            yield active
            return
        with _CONNECTIONS:
            con = self._open(self.read_only if read_only is None else read_only)
            try:
                yield con
            except duckdb.Error as exc:  # a damaged block is only found when a query reads it
                if any(sign in str(exc).lower() for sign in DAMAGE_SIGNS):
                    raise damaged(self.path, exc) from exc
                raise
            finally:
                con.close()

    @contextmanager
    def session(self) -> Iterator[None]:
        """Queries and transactions inside share one connection on this thread, in the store's mode: a run's
        stages after its fits read and write in many small steps, and a page's load reads in many: opening and
        closing the file for each (25-50 ms) cost a small run more than its fits, and a page at a million examples
        more than its queries. Other threads of this process and every other process wait until it closes, so
        wrap a stage of seconds, not a whole run."""
        if getattr(self._local, "con", None) is not None or getattr(self._local, "session", None) is not None:
            yield
            return
        with self.connect() as con:
            self._local.session = con
            try:
                yield
            finally:
                self._local.session = None

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All writes inside land together or not at all; a nested call joins the outer transaction."""
        if getattr(self._local, "con", None) is not None:
            yield self._local.con
            return
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            self._local.con = con
            try:
                yield con
            except BaseException:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:  # a damaged file can refuse the rollback too; the commit never happened
                    pass
                raise
            else:
                con.execute("COMMIT")
            finally:
                self._local.con = None

    def query(self, sql: str, params=None) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def scalar(self, sql: str, params=None):
        """The first column of the first row (None without rows), read to the end: DuckDB refuses new work on a
        connection with a half-read result."""
        with self.connect() as con:
            rows = con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def rows(self, sql: str, params=None) -> list[tuple]:
        with self.connect() as con:
            return con.execute(sql, params or []).fetchall()

    def execute(self, sql: str, params=None) -> None:
        with self.transaction() as con:
            con.execute(sql, params or [])

    def insert_frame(self, frame: pd.DataFrame, sql: str, params=None) -> None:
        """Runs `sql`, which reads `frame` as the table named `frame`, in the current transaction."""
        with self.transaction() as con:
            con.register("frame", frame)
            try:
                con.execute(sql, params or [])
            finally:
                con.unregister("frame")

    # -- schema ------------------------------------------------------------------------------

    def _check_schema(self) -> None:
        with self.connect() as con:
            tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            if "schema_info" in tables:
                version = con.execute("SELECT version FROM schema_info").fetchall()[0][0]
            elif tables:
                raise StoreError(f"{self.path} is a DuckDB file but not a pseudolens database (tables: {sorted(tables)})")
            else:
                version = 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this pseudolens ({SCHEMA_VERSION}); "
                    "upgrade pseudolens to open it"
                )
            if version == SCHEMA_VERSION:
                return
            if self.read_only:
                raise StoreError(f"{self.path} has schema version {version}; open it once read-write (any CLI command) "
                                 f"to upgrade it to {SCHEMA_VERSION}")
            con.execute("BEGIN TRANSACTION")
            if "schema_info" not in tables:
                con.execute("CREATE TABLE schema_info (version INTEGER NOT NULL)")
                con.execute("INSERT INTO schema_info VALUES (0)")
            for step in MIGRATIONS[version:]:
                con.execute(step)
            con.execute("UPDATE schema_info SET version = ?", [SCHEMA_VERSION])
            con.execute("COMMIT")

    def schema_version(self) -> int:
        return self.scalar("SELECT version FROM schema_info")
