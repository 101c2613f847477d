"""Builds the SQLAlchemy async engine (asyncpg driver) from a plain postgresql:// URL."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool


def async_url(url: str) -> str:
    """postgresql://... (libpq style, as users write it) -> postgresql+asyncpg://..."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+asyncpg"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"not a PostgreSQL URL: {parsed.drivername}://...")


def create_engine(url: str, *, null_pool: bool = False, pool_size: int = 10) -> AsyncEngine:
    """Creating the engine does not connect. `null_pool` for tests that hop event loops."""
    if null_pool:
        return create_async_engine(async_url(url), poolclass=NullPool)
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: with asyncpg it costs three round trips per checkout. A connection the
        # server dropped fails one unit of work as Unavailable (503, safe to retry) instead.
        pool_recycle=1800,
    )
