"""A minimal HTTP/1.1 keep-alive load generator on raw asyncio streams.

httpx's async pool serialises on its own bookkeeping under dozens of concurrent requests and
became the bottleneck of the first measurements; this client costs next to nothing per
request, so the figures describe the server.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.perf._support import median, percentile


@dataclass
class LoadResult:
    requests_per_second: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


def _request(method: str, host: str, path: str, body: bytes) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
    await reader.readexactly(length)
    return status


async def run_load(
    base: str, method: str, path: str, bodies: Callable[[int], object], total: int, connections: int,
    headers: Callable[[int, bytes], dict[str, str]] | None = None,
) -> LoadResult:
    """Sends `total` requests over `connections` keep-alive connections; body i is bodies(i)."""
    url = urlsplit(base)
    result = LoadResult(0.0)
    counter = iter(range(total))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            for i in counter:
                payload = body if isinstance(body := bodies(i), bytes) else json.dumps(body).encode()
                request = _request(method, url.netloc, path, payload)
                if headers:
                    extra = "".join(f"{k}: {v}\r\n" for k, v in headers(i, payload).items()).encode()
                    request = request.replace(b"\r\n\r\n", b"\r\n" + extra + b"\r\n", 1)
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                result.latencies.append(time.perf_counter() - started)
                result.statuses[status] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    result.requests_per_second = total / (time.perf_counter() - started)
    return result


def summarise(title: str, results: list[LoadResult]) -> str:
    """The figures every HTTP benchmark prints: median rate over runs, latency, statuses."""
    rates = [r.requests_per_second for r in results]
    latencies = [lat for r in results for lat in r.latencies]
    statuses = sum((r.statuses for r in results), Counter())
    return "\n".join([
        title,
        f"  requests/second: median {median(rates):.0f} (runs: {', '.join(f'{r:.0f}' for r in rates)})",
        f"  latency ms: p50 {percentile(latencies, 50) * 1000:.1f}, p99 {percentile(latencies, 99) * 1000:.1f}",
        f"  statuses: {dict(statuses)}",
    ])
