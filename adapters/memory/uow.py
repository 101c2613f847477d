from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Self

from adapters.memory.repositories import (
    InMemoryApiKeyRepository,
    InMemoryAuditLog,
    InMemoryCustomerRepository,
    InMemoryIdempotencyRepository,
    InMemoryOrderNumberSequence,
    InMemoryOrderRepository,
    InMemoryPaymentRepository,
    InMemoryProductRepository,
    InMemoryRefundRepository,
    InMemoryWebhookInbox,
)
from adapters.memory.store import InMemoryStore, Journal
from application.ports import HealthProbe, UnitOfWork, UnitOfWorkFactory, WorkSignal


class InMemoryUnitOfWork(UnitOfWork):
    """Holds the store's lock for the whole block: units of work run one at a time."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._journal = Journal()
        self.products = InMemoryProductRepository(store, self._journal)
        self.customers = InMemoryCustomerRepository(store, self._journal)
        self.orders = InMemoryOrderRepository(store, self._journal)
        self.payments = InMemoryPaymentRepository(store, self._journal)
        self.refunds = InMemoryRefundRepository(store, self._journal)
        self.order_numbers = InMemoryOrderNumberSequence(store, self._journal)
        self.audit = InMemoryAuditLog(store, self._journal)
        self.webhooks = InMemoryWebhookInbox(store, self._journal)
        self.api_keys = InMemoryApiKeyRepository(store, self._journal)
        self.idempotency = InMemoryIdempotencyRepository(store, self._journal)

    async def __aenter__(self) -> Self:
        await self._store.lock.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._journal.rollback()
        finally:
            self._store.lock.release()

    async def commit(self) -> None:
        self._journal.forget()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        mark = self._journal.mark()
        try:
            yield
        except BaseException:
            self._journal.rollback(to=mark)
            raise


class InMemoryUnitOfWorkFactory(UnitOfWorkFactory):
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def __call__(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self._store)


class InMemoryWorkSignal(WorkSignal):
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def wait(self) -> None:
        await self._store.webhooks_due.wait()
        self._store.webhooks_due.clear()


class InMemoryHealthProbe(HealthProbe):
    async def check(self) -> dict[str, str]:
        return {"database": "ok", "migrations": "ok"}
