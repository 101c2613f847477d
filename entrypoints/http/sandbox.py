"""The sandbox provider's own pages and controls: the hosted checkout a buyer approves or
declines, the provider-side state black-box tests read, and one-shot faults.

Open routes: like a remote provider's hosted page, they answer anyone who has the link.
The provider arrives as the `sandbox_provider` dependency.
"""

from __future__ import annotations

from html import escape

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, SkipValidation
from litestar.response import Redirect
from msgspec import Struct

from adapters.gateways.sandbox.model import FaultKind, Operation, SandboxPayment, SandboxRefund
from adapters.gateways.sandbox.provider import SandboxProvider
from domain.money import minor_unit_exponent
from entrypoints.http.auth import NO_KEY, OPEN
from entrypoints.http.problems import BODY_PROBLEMS, problem_responses
from entrypoints.http.schemas import Timestamp, timestamp

Provider = NamedDependency[SkipValidation[SandboxProvider]]
REDIRECTED = {303: ResponseSpec(None, description="To the payment's return (approve) or cancel (decline) URL")}


class CheckoutOut(Struct):
    id: str
    status: str


class SandboxRefundOut(Struct):
    id: str
    amount: int
    currency: str
    status: str
    reason: str | None
    created_at: Timestamp

    @classmethod
    def of(cls, refund: SandboxRefund) -> "SandboxRefundOut":
        return cls(
            id=refund.id, amount=refund.amount, currency=refund.currency, status=refund.status.value,
            reason=refund.reason, created_at=timestamp(refund.created_at),
        )


class SandboxPaymentOut(Struct):
    id: str
    status: str
    amount: int
    currency: str
    capture_method: str
    amount_authorized: int
    amount_captured: int
    amount_refunded: int
    capture_count: int
    description: str
    return_url: str | None
    cancel_url: str | None
    expires_at: Timestamp
    created_at: Timestamp
    refunds: list[SandboxRefundOut]

    @classmethod
    def of(cls, payment: SandboxPayment, refunds: list[SandboxRefund]) -> "SandboxPaymentOut":
        return cls(
            id=payment.id,
            status=payment.status.value,
            amount=payment.amount,
            currency=payment.currency,
            capture_method=payment.capture_method.value,
            amount_authorized=payment.amount_authorized,
            amount_captured=payment.amount_captured,
            amount_refunded=payment.amount_refunded,
            capture_count=payment.capture_count,
            description=payment.description,
            return_url=payment.return_url,
            cancel_url=payment.cancel_url,
            expires_at=timestamp(payment.expires_at),
            created_at=timestamp(payment.created_at),
            refunds=[SandboxRefundOut.of(refund) for refund in refunds],
        )


class SandboxFaultIn(Struct, forbid_unknown_fields=True):
    operation: Operation
    fault: FaultKind
    payment_id: str | None = None


def formatted(amount: int, currency: str) -> str:
    """1234 USD -> 'USD 12.34', 1234 JPY -> 'JPY 1,234': minor units by the currency's exponent."""
    exponent = minor_unit_exponent(currency)
    whole, fraction = divmod(amount, 10**exponent)
    return f"{currency} {whole:,}" + (f".{fraction:0{exponent}d}" if exponent else "")


def checkout_page(payment: SandboxPayment, approval_url: str) -> str:
    title = escape(payment.description)
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sandbox checkout: {title}</title></head>
<body>
<h1>Sandbox checkout</h1>
<p>{title}</p>
<p>Amount: <strong>{formatted(payment.amount, payment.currency)}</strong></p>
<form method="post" action="{escape(approval_url)}/approve"><button type="submit">Approve</button></form>
<form method="post" action="{escape(approval_url)}/decline"><button type="submit">Decline</button></form>
</body>
</html>
"""


def _answer(payment: SandboxPayment, redirect_to: str | None) -> Response[CheckoutOut]:
    if redirect_to is not None:
        return Redirect(redirect_to, status_code=303)
    return Response(CheckoutOut(id=payment.id, status=payment.status.value), status_code=200)


class SandboxController(Controller):
    path = "/sandbox"
    tags = ["sandbox"]
    opt = OPEN
    security = NO_KEY

    @get("/checkout/{provider_payment_id:str}", media_type=MediaType.HTML, responses=problem_responses("not_found", api_key=False))
    async def checkout(self, provider_payment_id: FromPath[str], sandbox_provider: Provider) -> str:
        """The hosted checkout page: the amount, and Approve / Decline buttons."""
        payment = await sandbox_provider.fetch(provider_payment_id)
        return checkout_page(payment, sandbox_provider.approval_url(payment.id))

    @post(
        "/checkout/{provider_payment_id:str}/approve",
        status_code=200,
        responses=REDIRECTED | problem_responses("not_found", "invalid_state", api_key=False),
    )
    async def approve(self, provider_payment_id: FromPath[str], sandbox_provider: Provider) -> Response[CheckoutOut]:
        """The buyer approves: authorized (manual capture) or captured (automatic)."""
        payment = await sandbox_provider.approve(provider_payment_id)
        return _answer(payment, payment.return_url)

    @post(
        "/checkout/{provider_payment_id:str}/decline",
        status_code=200,
        responses=REDIRECTED | problem_responses("not_found", "invalid_state", api_key=False),
    )
    async def decline(self, provider_payment_id: FromPath[str], sandbox_provider: Provider) -> Response[CheckoutOut]:
        """The buyer declines: the payment fails."""
        payment = await sandbox_provider.decline(provider_payment_id)
        return _answer(payment, payment.cancel_url)

    @get("/payments/{provider_payment_id:str}", responses=problem_responses("not_found", api_key=False))
    async def payment(self, provider_payment_id: FromPath[str], sandbox_provider: Provider) -> SandboxPaymentOut:
        """The payment as the provider sees it, refunds included."""
        return SandboxPaymentOut.of(*await sandbox_provider.details(provider_payment_id))

    @post(
        "/faults",
        status_code=204,
        responses=problem_responses(*BODY_PROBLEMS, "not_found", api_key=False),
    )
    async def fault(self, data: JSONBody[SandboxFaultIn], sandbox_provider: Provider) -> None:
        """The next matching provider call (on `payment_id`, or on any payment) suffers the fault,
        once: `decline` refuses it, `timeout` does it and loses the answer, `fail` (refunds)
        accepts it as pending and then fails it."""
        await sandbox_provider.add_fault(data.operation, data.fault, data.payment_id)
