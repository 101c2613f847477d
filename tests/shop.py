"""A shop to run payment use cases against: the real container with a scripted provider and a
frozen clock, on memory or PostgreSQL; provider events travel through the inbox and worker."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from uuid import UUID

from dependency_injector import providers

from adapters.gateways.sandbox_webhooks import SandboxEventReader, SandboxWebhookVerifier
from application.commands import ListAuditEntries, RecordWebhook, StartCheckout
from application.gateways import PaymentGateways
from domain.orders import OrderStatus
from domain.payments import Payment, PaymentStatus
from entrypoints.config import Settings
from entrypoints.container import Container, Storage, build_container
from tests.fakes.gateway import ScriptedGateway
from tests.service.conftest import order_command, product_command
from tests.support import FrozenClock, sandbox_delivery

SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
ACTOR = "api_key:test"


@dataclass
class Shop:
    container: Container
    clock: FrozenClock
    provider: ScriptedGateway
    events: itertools.count

    async def order(self, quantity: int = 2, sku: str = "day-pass", currency: str = "USD") -> UUID:
        details = await self.container.place_order()(order_command((sku, quantity), currency=currency))
        return details.order.id

    async def checkout(self, order_id: UUID, capture_method: str = "automatic") -> Payment:
        checkout = await self.container.start_checkout()(
            StartCheckout(order_id, "sandbox", ACTOR, capture_method=capture_method)
        )
        return checkout.payment

    async def deliver(self, type: str, payment: Payment, amount: int, refund_id: str | None = None) -> None:
        """The provider's event, recorded through the inbox and applied by the worker's step."""
        data: dict[str, object] = {"payment_id": payment.provider_payment_id, "amount": amount, "currency": payment.currency}
        if refund_id:
            data["refund_id"] = refund_id
        body, headers = sandbox_delivery(SECRET, f"evt_{next(self.events)}", type, data=data)
        await self.container.record_webhook()(RecordWebhook(payment.provider, body, headers))
        await self.container.process_webhooks()(100)

    async def approve(self, payment: Payment) -> None:
        """The buyer approves at the provider, which then sends its events."""
        state = self.provider.approve(payment.provider_payment_id)  # type: ignore[arg-type]
        await self.deliver("payment.authorized", payment, state.amount_authorized)
        if state.status is PaymentStatus.CAPTURED:
            await self.deliver("payment.captured", payment, state.amount_captured)

    async def payment(self, payment_id: UUID) -> Payment:
        return await self.container.get_payment()(payment_id)

    async def order_status(self, order_id: UUID) -> OrderStatus:
        return (await self.container.get_order()(order_id)).order.status

    async def audit_actions(self, entity_id: UUID) -> list[str]:
        page = await self.container.list_audit_entries()(ListAuditEntries(limit=100, entity_id=entity_id))
        return [entry.action for entry in page.items]


async def open_shop(storage: Storage = "memory", database_url: str | None = None) -> Shop:
    container = build_container(Settings(sandbox_webhook_secret=SECRET), storage, database_url)
    clock, provider = FrozenClock(), ScriptedGateway()
    container.clock.override(providers.Object(clock))
    # Two providers, both scripted and both speaking the sandbox's event format, so a test can
    # pay one order twice; the sandbox's own adapters are tested in tests/gateways.
    container.payment_gateways.override(providers.Object(PaymentGateways({"sandbox": provider, "paypal": provider})))
    container.webhook_verifiers.override(
        providers.Object({name: SandboxWebhookVerifier([SECRET]) for name in ("sandbox", "paypal")})
    )
    container.webhook_event_readers.override(providers.Object({name: SandboxEventReader() for name in ("sandbox", "paypal")}))
    await container.add_product()(product_command("day-pass", 5000, capacity=10))
    await container.add_product()(product_command("yen-pass", 1200, "JPY", capacity=10))
    await container.add_product()(product_command("kwd-pass", 12345, "KWD", capacity=10))
    return Shop(container, clock, provider, itertools.count(1))
