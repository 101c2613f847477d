"""In-memory adapters: tests and `--memory` runs."""

from adapters.memory.store import InMemoryStore
from adapters.memory.uow import (
    InMemoryHealthProbe,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
    InMemoryWorkSignal,
)

__all__ = [
    "InMemoryHealthProbe",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InMemoryUnitOfWorkFactory",
    "InMemoryWorkSignal",
]
