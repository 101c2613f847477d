from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.auditing import AuditRecorder
from application.commands import PlaceOrder as PlaceOrderCommand
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.views import OrderDetails
from domain.customers import Customer
from domain.errors import ValidationFailed
from domain.metadata import validate_metadata
from domain.money import validate_currency
from domain.orders import (
    Attendee,
    EventRef,
    LineRequest,
    Order,
    format_order_number,
    validate_line_requests,
    validate_order_prefix,
)


@dataclass(frozen=True)
class OrderPolicy:
    number_prefix: str = "TSR"
    unpaid_ttl: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        validate_order_prefix(self.number_prefix)


class PlaceOrder:
    """Places an order for a customer and reserves its capacity.

    Rules: prices come from the catalog, never the buyer; every sku exists and is on sale;
    every product is priced in the order's currency; quantity >= 1; capacity is never
    oversold (the products are locked, in sku order, for the length of the transaction);
    the customer is found or created by normalised e-mail; the order gets the next number
    of the day; the order and its audit entry commit together or not at all. A request
    repeated with the same idempotency key gets the order it already placed, even if its first
    answer was lost in a crash (the unique key backs this under any race).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        audit: AuditRecorder,
        policy: OrderPolicy,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit
        self._policy = policy

    async def __call__(self, cmd: PlaceOrderCommand) -> OrderDetails:
        now = self._clock.now()
        currency = _order_currency(cmd.currency)
        requests = [
            LineRequest(
                sku=item.sku,
                quantity=item.quantity,
                attendee=Attendee.of(
                    item.attendee.first_name, item.attendee.last_name, item.attendee.email, f"items[{i}].attendee"
                )
                if item.attendee
                else None,
            )
            for i, item in enumerate(cmd.items)
        ]
        validate_line_requests(requests)
        event = EventRef(cmd.event.id, cmd.event.name, cmd.event.date) if cmd.event else None
        metadata = validate_metadata(cmd.metadata)
        applicant = Customer.register(
            id=self._ids.new_id(),
            email=cmd.customer.email,
            first_name=cmd.customer.first_name,
            last_name=cmd.customer.last_name,
            phone=cmd.customer.phone,
            now=now,
        )

        async with self._uow() as uow:
            if cmd.request_key is not None and (placed := await uow.orders.find_by_request_key(cmd.request_key)):
                customers = await uow.customers.get_many([placed.customer_id])
                return OrderDetails(order=placed, customer=customers[placed.customer_id])
            # Shared rows are locked as late as possible: the customer first (only this buyer's
            # orders wait on it), then the products, then the day's order-number row, which
            # every order needs and holds until commit.
            customer = await uow.customers.upsert_by_email(applicant)
            products = await uow.products.lock_by_skus(sorted({r.sku for r in requests}))
            order_id = self._ids.new_id()
            order = Order.place(
                id=order_id,
                number="",
                customer_id=customer.id,
                currency=currency,
                requests=requests,
                products=products,
                now=now,
                expires_at=now + self._policy.unpaid_ttl,
                event=event,
                metadata=metadata,
                request_key=cmd.request_key,
            )
            await uow.products.save(list(products.values()))
            sequence = await uow.order_numbers.next_for_day(now.date())
            order.number = format_order_number(self._policy.number_prefix, now.date(), sequence)
            await uow.orders.add(order)
            await uow.audit.append(
                self._audit.entry(
                    entity_type="order",
                    entity_id=order.id,
                    action="order.placed",
                    actor=cmd.actor,
                    to_status=order.status,
                    amount=order.total.amount,
                    currency=order.currency,
                    details={"number": order.number, "items": order.quantities_by_sku()},
                )
            )
            await uow.commit()
        return OrderDetails(order=order, customer=customer)


def _order_currency(currency: str) -> str:
    if not isinstance(currency, str) or not currency:
        raise ValidationFailed.on("currency", "currency is required")
    return validate_currency(currency)
