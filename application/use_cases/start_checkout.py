from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.auditing import AuditRecorder
from application.commands import StartCheckout as StartCheckoutCommand
from application.errors import NotFound
from application.gateways import PaymentGateways
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.provider_calls import ProviderCalls
from domain.errors import InvalidState, ValidationFailed
from domain.orders import Order, OrderStatus
from domain.payments import ActionKind, CaptureMethod, Payment, validate_provider


@dataclass(frozen=True)
class CheckoutPolicy:
    ttl: timedelta
    """How long a buyer has to finish paying before the attempt expires."""


@dataclass(frozen=True)
class Checkout:
    payment: Payment
    created: bool
    """False when a live pending attempt was handed back instead of a new one."""


class StartCheckout:
    """Starts (or resumes) paying for an order with one provider.

    Rules: only a pending, unexpired order can be paid, and only with a configured provider;
    an order's live pending payment with the same provider is handed back (attempts + 1)
    rather than a second one created, so a buyer clicking twice is charged once; the payment is
    recorded with its creation intent and committed before the provider is called with a key
    derived from the payment's id, so a retry after a timeout finds the same provider payment;
    the provider never sees an amount the buyer chose: it is the order's total.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditRecorder,
        gateways: PaymentGateways,
        calls: ProviderCalls,
        policy: CheckoutPolicy,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit
        self._gateways = gateways
        self._calls = calls
        self._policy = policy

    async def __call__(self, cmd: StartCheckoutCommand) -> Checkout:
        provider = validate_provider(cmd.provider)
        self._gateways.get(provider)
        capture_method = _capture_method(cmd.capture_method)
        now = self._clock.now()
        async with self._uow() as uow:
            order = await uow.orders.get(cmd.order_id, lock=True)
            if order is None:
                raise NotFound(f"no order {cmd.order_id}")
            if not order.is_payable(now):
                raise InvalidState(_unpayable(order))
            payments = await uow.payments.list_for_order(order.id)
            live = next((p for p in payments if p.provider == provider and p.is_live(now)), None)
            if live is None:
                payment = Payment.start(
                    id=self._ids.new_id(),
                    order_id=order.id,
                    provider=provider,
                    total=order.total,
                    capture_method=capture_method,
                    now=now,
                    expires_at=min(order.expires_at, now + self._policy.ttl),
                )
                await uow.payments.add(payment)
                action = "payment.created"
            else:
                payment = live
                payment.retry_checkout(now)
                if payment.provider_payment_id is None:
                    payment.resume_action(now)  # refused while another request is creating it
                await uow.payments.save(payment)
                action = "payment.checkout_resumed"
            await uow.audit.append(
                self._audit.entry(
                    entity_type="payment",
                    entity_id=payment.id,
                    action=action,
                    actor=cmd.actor,
                    to_status=payment.status,
                    amount=payment.amount,
                    currency=payment.currency,
                    details={"order_id": str(order.id), "provider": provider, "attempts": payment.attempts},
                )
            )
            await uow.commit()
        if payment.action is None or payment.action.kind is not ActionKind.CREATE:
            return Checkout(payment, created=False)
        created = await self._calls.create(payment, order, cmd.return_url, cmd.cancel_url, cmd.actor)
        return Checkout(created, created=live is None)


def _capture_method(value: str) -> CaptureMethod:
    try:
        return CaptureMethod(value)
    except ValueError:
        raise ValidationFailed.on("capture_method", "capture_method must be automatic or manual") from None


def _unpayable(order: Order) -> str:
    if order.status is OrderStatus.PENDING:
        return f"order {order.number} expired unpaid"
    return f"order {order.number} is {order.status}; only a pending order can be paid"
