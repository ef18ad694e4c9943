"""The DuckDB file: opening it, its schema versions, connections and transactions. Every other store module
is one aggregate's SQL on top of this.

Connections are short-lived (one per operation, or one per `transaction()`), because DuckDB locks the whole
file for a writer: a long run that held a connection open would lock the dashboard out. Between two writes
the file is free, and a reader that meets the lock retries briefly before giving up with `StoreBusyError`.

One write style: every write method runs in `transaction()`, which joins a transaction already open on the
same thread, so a service can make several writes land together (`with store.transaction(): ...`)."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Iterator

import duckdb
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


def damaged(path: Path, exc: Exception) -> StoreError:
    return StoreError(f"{path}: this file is damaged ({str(exc).splitlines()[0][:160]}); nothing was written to it. "
                      "Restore it from a backup, or rebuild it (`python -m core demo`, or import the data again "
                      "into a new --db file)")


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Database:
    """A pseudolens DuckDB file. Opening creates it (read-write) or upgrades an older schema."""

    def __init__(self, path: str | Path = DEFAULT_DB, read_only: bool = False, lock_timeout: float = 10.0):
        self.path = Path(path)
        self.read_only = read_only
        self.lock_timeout = lock_timeout
        self._local = threading.local()
        if read_only and not self.path.exists():
            raise StoreError(f"no database at {self.path}; build one with `python -m core demo` or import data")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._check_schema()

    # -- connections -------------------------------------------------------------------------

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=self.read_only)
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
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for reads: the open transaction's on this thread, else a short-lived one."""
        active = getattr(self._local, "con", None) or getattr(self._local, "reading", None)
        if active is not None:
            yield active
            return
        with _CONNECTIONS:
            con = self._open()
            try:
                yield con
            except duckdb.Error as exc:  # a damaged block is only found when a query reads it
                if any(sign in str(exc).lower() for sign in DAMAGE_SIGNS):
                    raise damaged(self.path, exc) from exc
                raise
            finally:
                con.close()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Reads inside share one connection on this thread (a page's load): opening the file costs about 50 ms
        at a million examples, which a page paid once per query. Wrap reads only, not work on what they return:
        while it is open, other threads of this process and a writer in another process wait."""
        if getattr(self._local, "con", None) is not None or getattr(self._local, "reading", None) is not None:
            yield
            return
        with self.connect() as con:
            self._local.reading = con
            try:
                yield
            finally:
                self._local.reading = None

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
