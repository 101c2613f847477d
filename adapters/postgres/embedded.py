"""An embedded PostgreSQL 16 (pgserver) in a local data folder, for runs with no database URL.

pgserver listens on a unix socket only: in the data folder, or under the user's runtime
folder when the data folder's path is too long for a socket. Running as root, it runs the
server as a `pgserver` system user. The server is shared by every process using the same
folder and stops when the last of them exits (or calls `stop_embedded`).
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg
import psutil
from platformdirs import RuntimeDirWarning

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

DATABASE = "tessera"
T = TypeVar("T")

_servers: dict[Path, PostgresServer] = {}


def start_embedded(data_dir: Path) -> str:
    """Starts the server in `data_dir` (or joins the one running there) and returns the URL
    of its `tessera` database, created if missing."""
    pgdata = data_dir.expanduser().resolve()
    if pgdata not in _servers:
        _servers[pgdata] = _start(pgdata)
    return _servers[pgdata].get_uri(database=DATABASE)


def stop_embedded(data_dir: Path) -> None:
    """Lets go of the server; it stops unless another process still uses it."""
    server = _servers.pop(data_dir.expanduser().resolve(), None)
    if server is not None:
        server.cleanup()


def _start(pgdata: Path) -> PostgresServer:
    pgserver = _import_pgserver()
    pgdata.mkdir(parents=True, exist_ok=True)
    with pgserver.PostgresServer._lock:
        _discard_stale_lock_files(pgdata)
        _forget_dead_users(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    _in_worker_thread(asyncio.run, _ensure_database(server.get_uri()))
    return server


def _import_pgserver() -> ModuleType:
    """pgserver picks its lock folder at import; without XDG_RUNTIME_DIR (containers, CI)
    platformdirs warns about the /tmp fallback, which is fine here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeDirWarning)
        import pgserver
    return pgserver


def _discard_stale_lock_files(pgdata: Path) -> None:
    """After a crash, postmaster.pid may name a pid that another program now holds (common
    in restarted containers), or a postgres zombie nobody reaped. pgserver would take that
    for a running server, and PostgreSQL refuses to start while its pid file or its socket's
    lock file names a live pid; both are stale when that pid is no live postgres."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    lines = [line.strip() for line in pid_file.read_text().splitlines()]
    if lines and _is_live_postgres(lines[0]):
        return
    if len(lines) > 4 and lines[4]:  # lines: pid, data dir, start time, port, socket dir, ...
        (Path(lines[4]) / f".s.PGSQL.{lines[3]}.lock").unlink(missing_ok=True)
    pid_file.unlink()


def _forget_dead_users(pgdata: Path) -> None:
    """pgserver counts the processes using a server in .handle_pids.json and stops it when
    the last one leaves; a process that died without leaving would keep it running forever."""
    users = pgdata / ".handle_pids.json"
    if users.exists():
        users.write_text(json.dumps([pid for pid in json.loads(users.read_text()) if psutil.pid_exists(pid)]))


def _is_live_postgres(pid: str) -> bool:
    try:
        process = psutil.Process(int(pid))
        return process.name() == "postgres" and process.status() != psutil.STATUS_ZOMBIE
    except (ValueError, psutil.Error):
        return False


async def _ensure_database(admin_url: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            with suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):  # lost a race
                await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


def _in_worker_thread(fn: Callable[..., T], *args: Any) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-postgres") as pool:
        return pool.submit(fn, *args).result()
