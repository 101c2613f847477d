"""The composition root: the one place that knows which adapter serves which port."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from dependency_injector import containers, providers

from adapters.gateways.sandbox.delivery import SandboxWebhookSender
from adapters.gateways.sandbox.gateway import SandboxGateway
from adapters.gateways.sandbox.postgres import PgSandboxStore
from adapters.gateways.sandbox.provider import SandboxProvider
from adapters.gateways.sandbox.store import InMemorySandboxStore
from adapters.gateways.sandbox_webhooks import SandboxEventReader, SandboxWebhookVerifier
from adapters.memory import InMemoryHealthProbe, InMemoryStore, InMemoryUnitOfWorkFactory, InMemoryWorkSignal
from adapters.postgres.engine import create_engine
from adapters.postgres.health import PgHealthProbe
from adapters.postgres.notifications import PgWorkSignal
from adapters.postgres.uow import PgUnitOfWorkFactory
from adapters.system import SystemClock, UuidV7Generator
from application.auditing import AuditRecorder
from application.ports import Clock, IdGenerator, WebhookVerifier
from application.use_cases.add_product import AddProduct
from application.use_cases.authenticate_api_key import AuthenticateApiKey
from application.use_cases.begin_idempotent_request import BeginIdempotentRequest, IdempotencyPolicy
from application.use_cases.bootstrap_api_keys import BootstrapApiKeys
from application.use_cases.cancel_order import CancelOrder
from application.use_cases.cancel_payment import CancelPayment
from application.use_cases.capture_payment import CapturePayment
from application.use_cases.create_api_key import CreateApiKey
from application.use_cases.finish_idempotent_request import FinishIdempotentRequest
from application.use_cases.get_order import GetOrder
from application.use_cases.expire_unpaid_orders import ExpireUnpaidOrders
from application.use_cases.get_payment import GetPayment
from application.use_cases.get_product import GetProduct
from application.use_cases.get_refund import GetRefund
from application.use_cases.get_webhook_event import GetWebhookEvent
from application.use_cases.list_api_keys import ListApiKeys
from application.use_cases.list_audit_entries import ListAuditEntries
from application.use_cases.list_products import ListProducts
from application.use_cases.list_webhook_events import ListWebhookEvents
from application.use_cases.place_order import OrderPolicy, PlaceOrder
from application.use_cases.process_webhooks import ProcessDueWebhooks
from application.use_cases.purge_idempotency_keys import PurgeIdempotencyKeys
from application.use_cases.reconcile_payments import ReconcilePayments
from application.use_cases.record_webhook import RecordWebhook
from application.use_cases.recover_provider_calls import RecoverProviderCalls
from application.use_cases.refund_payment import RefundPayment
from application.use_cases.replay_webhook import ReplayWebhook
from application.use_cases.revoke_api_key import RevokeApiKey
from application.use_cases.search_orders import SearchOrders
from application.use_cases.start_checkout import CheckoutPolicy, StartCheckout
from application.use_cases.update_product import UpdateProduct
from application.gateways import PaymentGateways
from application.payment_events import PAYMENT_FACTS, ApplyPaymentEvent, ApplyRefundEvent, SurplusPayments
from application.ports import PaymentEventReader
from application.provider_calls import ProviderCalls
from application.settlement import Settlement
from application.webhook_handlers import WebhookHandlers
from domain.webhooks import RetryPolicy
from entrypoints.config import Settings
from entrypoints.worker import Worker

Storage = Literal["memory", "postgres"]
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
"""Where `serve` listens by default; commands that do not serve hand out links to it."""


def configured_webhook_verifiers(sandbox_secrets: list[str]) -> dict[str, WebhookVerifier]:
    """Providers with no secret configured are not offered: their webhooks answer 404."""
    return {"sandbox": SandboxWebhookVerifier(sandbox_secrets)} if sandbox_secrets else {}


def payment_event_handlers(
    readers: dict[str, PaymentEventReader],
    calls: ProviderCalls,
    clock: Clock,
    ids: IdGenerator,
    audit: AuditRecorder,
) -> WebhookHandlers:
    """What each configured provider's events do. Sandbox event types are named after the facts."""
    handlers = WebhookHandlers()
    surplus = SurplusPayments(clock, ids, audit)
    for provider, reader in readers.items():
        for fact_name, fact in PAYMENT_FACTS.items():
            handlers.register(provider, f"payment.{fact_name}", ApplyPaymentEvent(reader, calls, surplus, fact))
        for outcome, succeeded in (("succeeded", True), ("failed", False)):
            handler = ApplyRefundEvent(reader, calls, clock, ids, succeeded)
            handlers.register(provider, f"refund.{outcome}", handler)
    return handlers


def configured_gateways(sandbox_secrets: list[str], sandbox: SandboxProvider) -> PaymentGateways:
    """The sandbox is offered once it can sign its webhooks; Stripe and PayPal once their
    credentials are set."""
    return PaymentGateways({"sandbox": SandboxGateway(sandbox)} if sandbox_secrets else {})


def configured_event_readers(sandbox_secrets: list[str]) -> dict[str, PaymentEventReader]:
    return {"sandbox": SandboxEventReader()} if sandbox_secrets else {}


class Container(containers.DeclarativeContainer):
    config = providers.Configuration()

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidV7Generator)
    audit = providers.Singleton(AuditRecorder, clock, ids)
    order_policy = providers.Singleton(
        OrderPolicy, number_prefix=config.order_prefix, unpaid_ttl=config.order_ttl
    )

    engine = providers.Singleton(create_engine, config.database_url)
    memory_store = providers.Singleton(InMemoryStore)

    uow = providers.Selector(
        config.storage,
        memory=providers.Singleton(InMemoryUnitOfWorkFactory, memory_store),
        postgres=providers.Singleton(PgUnitOfWorkFactory, engine),
    )
    health = providers.Selector(
        config.storage,
        memory=providers.Singleton(InMemoryHealthProbe),
        postgres=providers.Singleton(PgHealthProbe, engine),
    )

    add_product = providers.Factory(AddProduct, uow, clock, ids, audit)
    update_product = providers.Factory(UpdateProduct, uow, clock, audit)
    get_product = providers.Factory(GetProduct, uow)
    list_products = providers.Factory(ListProducts, uow)
    place_order = providers.Factory(PlaceOrder, uow, clock, ids, audit, order_policy)
    get_order = providers.Factory(GetOrder, uow)
    search_orders = providers.Factory(SearchOrders, uow)
    cancel_order = providers.Factory(CancelOrder, uow, clock, audit)

    create_api_key = providers.Factory(CreateApiKey, uow, clock, ids, audit)
    bootstrap_api_keys = providers.Factory(BootstrapApiKeys, uow, create_api_key)
    list_api_keys = providers.Factory(ListApiKeys, uow)
    revoke_api_key = providers.Factory(RevokeApiKey, uow, clock, audit)
    authenticate_api_key = providers.Factory(AuthenticateApiKey, uow)

    idempotency_policy = providers.Singleton(
        IdempotencyPolicy, ttl=config.idempotency_ttl, lock_timeout=config.idempotency_lock_timeout
    )
    begin_idempotent_request = providers.Factory(BeginIdempotentRequest, uow, clock, idempotency_policy)
    finish_idempotent_request = providers.Factory(FinishIdempotentRequest, uow, clock)
    purge_idempotency_keys = providers.Factory(PurgeIdempotencyKeys, uow, clock, idempotency_policy)

    sandbox_store = providers.Selector(
        config.storage,
        memory=providers.Singleton(InMemorySandboxStore),
        postgres=providers.Singleton(PgSandboxStore, engine),
    )
    sandbox_provider = providers.Singleton(SandboxProvider, sandbox_store, clock, config.public_url)
    sandbox_sender = providers.Factory(
        SandboxWebhookSender,
        sandbox_store,
        sandbox_provider,
        public_url=config.public_url,
        secrets=config.sandbox_webhook_secrets,
        clock=clock,
    )
    payment_gateways = providers.Singleton(configured_gateways, config.sandbox_webhook_secrets, sandbox_provider)
    settlement = providers.Singleton(Settlement, clock, audit)
    provider_calls = providers.Singleton(ProviderCalls, uow, clock, audit, payment_gateways, settlement)
    checkout_policy = providers.Singleton(CheckoutPolicy, ttl=config.checkout_ttl)
    start_checkout = providers.Factory(
        StartCheckout, uow, clock, ids, audit, payment_gateways, provider_calls, checkout_policy
    )
    get_payment = providers.Factory(GetPayment, uow)
    capture_payment = providers.Factory(CapturePayment, uow, clock, audit, provider_calls)
    cancel_payment = providers.Factory(CancelPayment, uow, clock, audit, provider_calls)
    refund_payment = providers.Factory(RefundPayment, uow, clock, ids, audit, provider_calls)
    get_refund = providers.Factory(GetRefund, uow)
    list_audit_entries = providers.Factory(ListAuditEntries, uow)
    recover_provider_calls = providers.Factory(RecoverProviderCalls, uow, clock, provider_calls)
    reconcile_payments = providers.Factory(ReconcilePayments, uow, payment_gateways, provider_calls)

    webhook_verifiers = providers.Singleton(configured_webhook_verifiers, config.sandbox_webhook_secrets)
    webhook_event_readers = providers.Singleton(configured_event_readers, config.sandbox_webhook_secrets)
    webhook_handlers = providers.Singleton(
        payment_event_handlers, webhook_event_readers, provider_calls, clock, ids, audit
    )
    webhook_retry_policy = providers.Singleton(RetryPolicy, max_attempts=config.webhook_max_attempts)
    record_webhook = providers.Factory(RecordWebhook, uow, clock, ids, audit, webhook_verifiers)
    process_webhooks = providers.Factory(
        ProcessDueWebhooks, uow, clock, audit, webhook_handlers, webhook_retry_policy
    )
    replay_webhook = providers.Factory(ReplayWebhook, uow, clock, audit)
    get_webhook_event = providers.Factory(GetWebhookEvent, uow)
    list_webhook_events = providers.Factory(ListWebhookEvents, uow)
    work_signal = providers.Selector(
        config.storage,
        memory=providers.Factory(InMemoryWorkSignal, memory_store),
        postgres=providers.Factory(PgWorkSignal, config.database_url),
    )
    expire_unpaid_orders = providers.Factory(ExpireUnpaidOrders, uow, clock, audit)
    worker = providers.Factory(
        Worker, process_webhooks, work_signal, providers.List(recover_provider_calls, expire_unpaid_orders)
    )


def build_container(settings: Settings, storage: Storage = "postgres", database_url: str | None = None) -> Container:
    """`database_url` overrides the settings' one (the embedded server's URL, a test database)."""
    url = database_url or settings.database_url
    if storage == "postgres" and url is None:
        raise ValueError("the postgres storage needs a database URL")
    container = Container()
    container.config.from_dict(
        {
            "storage": storage,
            "database_url": url,
            "order_prefix": settings.order_prefix,
            "public_url": settings.public_url or DEFAULT_PUBLIC_URL,
            "order_ttl": timedelta(seconds=settings.order_ttl),
            "checkout_ttl": timedelta(seconds=settings.checkout_ttl),
            "max_body_bytes": settings.max_body_bytes,
            "webhook_max_attempts": settings.webhook_max_attempts,
            "idempotency_ttl": timedelta(seconds=settings.idempotency_ttl),
            "idempotency_lock_timeout": timedelta(seconds=settings.idempotency_lock_timeout),
            # Comma-separated: during a roll, old and new secrets are both accepted.
            "sandbox_webhook_secrets": [
                secret.strip() for secret in (settings.sandbox_webhook_secret or "").split(",") if secret.strip()
            ],
        }
    )
    return container


async def close_container(container: Container) -> None:
    """Releases pooled connections; in-memory runs hold nothing to release."""
    if container.config.storage() == "postgres":
        await container.engine().dispose()
