from __future__ import annotations

from application.auditing import AuditRecorder
from application.commands import UpdateProduct as UpdateProductCommand
from application.errors import NotFound
from application.ports import Clock, UnitOfWorkFactory
from domain.catalog import Product


class UpdateProduct:
    """Changes a product's name, price, capacity or active flag.

    Rules: the product is locked while it changes, so capacity can never drop below what
    concurrent orders have just sold; a price change applies to future orders only; the
    change is audited with before/after values.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, audit: AuditRecorder) -> None:
        self._uow = uow
        self._clock = clock
        self._audit = audit

    async def __call__(self, cmd: UpdateProductCommand) -> Product:
        async with self._uow() as uow:
            product = (await uow.products.lock_by_skus([cmd.sku])).get(cmd.sku)
            if product is None:
                raise NotFound(f"no product with sku '{cmd.sku}'")
            before = _snapshot(product)
            product.update(
                now=self._clock.now(),
                name=cmd.name,
                unit_amount=cmd.unit_amount,
                capacity=cmd.capacity,
                clear_capacity=cmd.clear_capacity,
                active=cmd.active,
            )
            after = _snapshot(product)
            changes = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
            await uow.products.save([product])
            await uow.audit.append(
                self._audit.entry(
                    entity_type="product",
                    entity_id=product.id,
                    action="product.updated",
                    actor=cmd.actor,
                    amount=product.unit_price.amount,
                    currency=product.unit_price.currency,
                    details={"sku": product.sku, "changes": changes},
                )
            )
            await uow.commit()
        return product


def _snapshot(product: Product) -> dict[str, object]:
    return {
        "name": product.name,
        "unit_amount": product.unit_price.amount,
        "capacity": product.capacity,
        "active": product.active,
    }
