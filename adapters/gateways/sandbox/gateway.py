"""Tessera's PaymentGateway for the sandbox provider: in-process calls, remote-provider failures."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from adapters.gateways.sandbox.model import SandboxPayment, SandboxRefund
from adapters.gateways.sandbox.provider import SandboxProvider, SimulatedTimeout
from application.errors import ProviderError, ProviderOutcomeUnknown
from application.ports import PaymentGateway, PaymentRequest, ProviderPayment, ProviderRefund
from domain.errors import DomainError
from domain.money import Money

T = TypeVar("T")


class SandboxGateway(PaymentGateway):
    def __init__(self, provider: SandboxProvider) -> None:
        self._provider = provider

    async def create_payment(self, request: PaymentRequest) -> ProviderPayment:
        return self._payment(
            await _answer(
                self._provider.create_payment(
                    amount=request.amount,
                    capture_method=request.capture_method,
                    expires_at=request.expires_at,
                    description=f"Order {request.order_number}",
                    idempotency_key=request.idempotency_key,
                    return_url=request.return_url,
                    cancel_url=request.cancel_url,
                )
            )
        )

    async def capture(self, provider_payment_id: str, amount: Money, idempotency_key: str) -> ProviderPayment:
        return self._payment(await _answer(self._provider.capture(provider_payment_id, amount, idempotency_key)))

    async def cancel(self, provider_payment_id: str, idempotency_key: str) -> ProviderPayment:
        return self._payment(await _answer(self._provider.cancel(provider_payment_id, idempotency_key)))

    async def refund(
        self, provider_payment_id: str, amount: Money, idempotency_key: str, reason: str | None
    ) -> ProviderRefund:
        refund: SandboxRefund = await _answer(self._provider.refund(provider_payment_id, amount, idempotency_key, reason))
        return ProviderRefund(provider_refund_id=refund.id, status=refund.status)

    async def fetch(self, provider_payment_id: str) -> ProviderPayment:
        return self._payment(await _answer(self._provider.fetch(provider_payment_id)))

    def _payment(self, payment: SandboxPayment) -> ProviderPayment:
        return ProviderPayment(
            provider_payment_id=payment.id,
            status=payment.status,
            amount_authorized=payment.amount_authorized,
            amount_captured=payment.amount_captured,
            approval_url=self._provider.approval_url(payment.id),
        )


async def _answer(call: Awaitable[T]) -> T:
    """What a remote client would make of the call: a lost answer is an unknown outcome, any
    refusal (a decline, a wrong state or amount, an unknown payment) a certain one."""
    try:
        return await call
    except SimulatedTimeout as exc:
        raise ProviderOutcomeUnknown(str(exc)) from exc
    except DomainError as exc:
        raise ProviderError(exc.message) from exc
