"""The embedded server keeps its data across restarts, including after a crash."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg

from adapters.postgres.embedded import start_embedded, stop_embedded


async def execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def fetch_values(url: str, query: str) -> list[object]:
    connection = await asyncpg.connect(url)
    try:
        return [row[0] for row in await connection.fetch(query)]
    finally:
        await connection.close()


def test_data_survives_a_restart_even_in_a_folder_too_deep_for_a_socket(embedded_postgres_tmp: Path) -> None:
    data_dir = embedded_postgres_tmp / ("deep-" * 12) / ("deeper-" * 10) / "data"
    assert len(str(data_dir / ".s.PGSQL.5432")) > 107
    try:
        url = start_embedded(data_dir)
        asyncio.run(execute(url, "CREATE TABLE kept (value text); INSERT INTO kept VALUES ('still here')"))
        stop_embedded(data_dir)
        assert not (data_dir / "postmaster.pid").exists()

        url = start_embedded(data_dir)
        assert asyncio.run(fetch_values(url, "SELECT value FROM kept")) == ["still here"]
    finally:
        stop_embedded(data_dir)


def test_starts_after_a_crash_left_lock_files_naming_another_process(embedded_postgres_tmp: Path) -> None:
    data_dir = embedded_postgres_tmp / "data"
    try:
        url = start_embedded(data_dir)
        asyncio.run(execute(url, "CREATE TABLE kept (value text); INSERT INTO kept VALUES ('still here')"))
        pid_file = (data_dir / "postmaster.pid").read_text()
        stop_embedded(data_dir)
        leave_lock_files_naming(os.getpid(), data_dir, pid_file)

        url = start_embedded(data_dir)
        assert asyncio.run(fetch_values(url, "SELECT value FROM kept")) == ["still here"]
    finally:
        stop_embedded(data_dir)


def leave_lock_files_naming(pid: int, data_dir: Path, pid_file: str) -> None:
    """What a killed server leaves behind once its pid belongs to some other live process."""
    lines = pid_file.splitlines()
    (data_dir / "postmaster.pid").write_text("\n".join([str(pid), *lines[1:]]) + "\n")
    (Path(lines[4]) / f".s.PGSQL.{lines[3]}.lock").write_text("\n".join([str(pid), *lines[1:5]]) + "\n")
