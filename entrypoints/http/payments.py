from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from application.commands import CancelPayment as CancelPaymentCommand
from application.commands import CapturePayment as CapturePaymentCommand
from application.commands import RefundPayment as RefundPaymentCommand
from application.use_cases.cancel_payment import CancelPayment
from application.use_cases.capture_payment import CapturePayment
from application.use_cases.get_payment import GetPayment
from application.use_cases.get_refund import GetRefund
from application.use_cases.refund_payment import RefundPayment
from application.use_cases.start_checkout import StartCheckout
from entrypoints.http.auth import STOREFRONT
from entrypoints.http.idempotency import IDEMPOTENT
from entrypoints.http.problems import BODY_PROBLEMS, problem_responses
from entrypoints.http.schemas import CaptureIn, CheckoutIn, PaymentOut, RefundIn, RefundOut

# A provider call may fail for certain (502) or break off (503: retry, same key, same effect).
PROVIDER_PROBLEMS = ("not_found", "invalid_state", "provider_error")


class PaymentController(Controller):
    path = "/v1"
    tags = ["payments"]

    @post(
        "/orders/{order_id:str}/checkout",
        opt=STOREFRONT | IDEMPOTENT,
        responses={
            200: ResponseSpec(PaymentOut, description="The order's live pending payment, handed back (attempts + 1)"),
            **problem_responses(*BODY_PROBLEMS, *PROVIDER_PROBLEMS, "provider_not_configured"),
        },
    )
    async def checkout(
        self,
        order_id: FromPath[UUID],
        data: JSONBody[CheckoutIn],
        start_checkout: NamedDependency[StartCheckout],
        actor: NamedDependency[str],
    ) -> Response[PaymentOut]:
        """201 with a new payment, or 200 with the order's live pending one (attempts + 1)."""
        checkout = await start_checkout(data.to_command(order_id, actor))
        return Response(PaymentOut.of(checkout.payment), status_code=201 if checkout.created else 200)

    @get("/payments/{payment_id:str}", responses=problem_responses("not_found"))
    async def show(self, payment_id: FromPath[UUID], get_payment: NamedDependency[GetPayment]) -> PaymentOut:
        return PaymentOut.of(await get_payment(payment_id))

    @post(
        "/payments/{payment_id:str}/capture",
        status_code=200,
        opt=IDEMPOTENT,
        responses=problem_responses(*BODY_PROBLEMS, *PROVIDER_PROBLEMS),
    )
    async def capture(
        self,
        payment_id: FromPath[UUID],
        capture_payment: NamedDependency[CapturePayment],
        actor: NamedDependency[str],
        data: JSONBody[CaptureIn | None] = None,
    ) -> PaymentOut:
        """Captures `amount` (default: all that was authorized), once."""
        amount = data.amount if data is not None else None
        return PaymentOut.of(await capture_payment(CapturePaymentCommand(payment_id, actor, amount)))

    @post(
        "/payments/{payment_id:str}/cancel",
        status_code=200,
        opt=IDEMPOTENT,
        responses=problem_responses(*PROVIDER_PROBLEMS),
    )
    async def cancel(
        self, payment_id: FromPath[UUID], cancel_payment: NamedDependency[CancelPayment], actor: NamedDependency[str]
    ) -> PaymentOut:
        return PaymentOut.of(await cancel_payment(CancelPaymentCommand(payment_id, actor)))

    @post(
        "/payments/{payment_id:str}/refunds",
        opt=IDEMPOTENT,
        responses=problem_responses(*BODY_PROBLEMS, *PROVIDER_PROBLEMS, "amount_exceeds_refundable"),
    )
    async def refund(
        self,
        payment_id: FromPath[UUID],
        refund_payment: NamedDependency[RefundPayment],
        actor: NamedDependency[str],
        request_key: NamedDependency[str | None],
        data: JSONBody[RefundIn | None] = None,
    ) -> RefundOut:
        """Refunds `amount` (default: all that is still refundable)."""
        body = data or RefundIn()
        command = RefundPaymentCommand(payment_id, actor, body.amount, body.reason, request_key)
        return RefundOut.of(await refund_payment(command))

    @get("/refunds/{refund_id:str}", responses=problem_responses("not_found"))
    async def show_refund(self, refund_id: FromPath[UUID], get_refund: NamedDependency[GetRefund]) -> RefundOut:
        return RefundOut.of(await get_refund(refund_id))
