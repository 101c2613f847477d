"""A scripted PaymentGateway for use-case tests: provider-side state in dicts, replay by key,
one-shot faults, and a count of every effect that really happened."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from application.errors import ProviderError, ProviderOutcomeUnknown
from application.ports import PaymentGateway, PaymentRequest, ProviderPayment, ProviderRefund
from domain.money import Money
from domain.payments import CaptureMethod, PaymentStatus, RefundStatus

T = TypeVar("T")


@dataclass
class FakeProviderPayment:
    state: ProviderPayment
    capture_method: CaptureMethod
    amount: int
    refunded: int = 0


@dataclass
class ScriptedGateway(PaymentGateway):
    payments: dict[str, FakeProviderPayment] = field(default_factory=dict)
    answers: dict[str, object] = field(default_factory=dict)
    effects: Counter[str] = field(default_factory=Counter)
    faults: dict[str, str] = field(default_factory=dict)
    """operation -> 'decline' (refused, nothing done) or 'timeout' (done, answer lost); used once."""
    refund_outcome: RefundStatus = RefundStatus.SUCCEEDED

    async def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        async def create() -> ProviderPayment:
            provider_id = f"fake_{len(self.payments) + 1}"
            state = ProviderPayment(provider_id, PaymentStatus.PENDING, approval_url=f"https://fake/{provider_id}")
            self.payments[provider_id] = FakeProviderPayment(state, request.capture_method, request.amount.amount)
            return state

        return await self._once("create", request.idempotency_key, create)

    async def capture(self, provider_payment_id: str, amount: Money, idempotency_key: str) -> ProviderPayment:
        async def capture() -> ProviderPayment:
            payment = self.payments[provider_payment_id]
            if payment.state.status is not PaymentStatus.AUTHORIZED or amount.amount > payment.state.amount_authorized:
                raise ProviderError(f"cannot capture {amount.amount} of a {payment.state.status} payment")
            return self._set(payment, status=PaymentStatus.CAPTURED, amount_captured=amount.amount)

        return await self._once("capture", idempotency_key, capture)

    async def cancel(self, provider_payment_id: str, idempotency_key: str) -> ProviderPayment:
        async def cancel() -> ProviderPayment:
            payment = self.payments[provider_payment_id]
            if payment.state.status not in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED):
                raise ProviderError(f"cannot cancel a {payment.state.status} payment")
            return self._set(payment, status=PaymentStatus.CANCELED)

        return await self._once("cancel", idempotency_key, cancel)

    async def refund(
        self, provider_payment_id: str, amount: Money, idempotency_key: str, reason: str | None
    ) -> ProviderRefund:
        async def refund() -> ProviderRefund:
            payment = self.payments[provider_payment_id]
            if payment.refunded + amount.amount > payment.state.amount_captured:
                raise ProviderError("refund exceeds the capture")
            if self.refund_outcome is RefundStatus.SUCCEEDED:
                payment.refunded += amount.amount
            return ProviderRefund(f"fake_re_{self.effects['refund'] + 1}", self.refund_outcome)

        return await self._once("refund", idempotency_key, refund)

    async def fetch(self, provider_payment_id: str) -> ProviderPayment:
        return self.payments[provider_payment_id].state

    def approve(self, provider_payment_id: str) -> ProviderPayment:
        """The buyer approves on the provider's page."""
        payment = self.payments[provider_payment_id]
        if payment.capture_method is CaptureMethod.AUTOMATIC:
            return self._set(payment, status=PaymentStatus.CAPTURED, amount_authorized=payment.amount,
                             amount_captured=payment.amount)
        return self._set(payment, status=PaymentStatus.AUTHORIZED, amount_authorized=payment.amount)

    def _set(self, payment: FakeProviderPayment, **changes: object) -> ProviderPayment:
        payment.state = replace(payment.state, **changes)  # type: ignore[arg-type]
        return payment.state

    async def _once(self, operation: str, key: str, effect: Callable[[], Awaitable[T]]) -> T:
        fault = self.faults.pop(operation, None)
        if fault == "decline":
            raise ProviderError(f"{operation} declined by the fake provider")
        if key not in self.answers:
            self.answers[key] = await effect()
            self.effects[operation] += 1
        if fault == "timeout":
            raise ProviderOutcomeUnknown(f"{operation} timed out (it happened)")
        return self.answers[key]  # type: ignore[return-value]
