from __future__ import annotations

from application.auditing import AuditRecorder
from application.commands import AddProduct as AddProductCommand
from application.errors import AlreadyExists
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from domain.catalog import Product
from domain.metadata import validate_metadata
from domain.money import money_field


class AddProduct:
    """Adds a product to the catalog.

    Rules: the sku is a unique slug; the price is a non-negative integer of the currency's
    minor unit; capacity, when given, is non-negative; the creation is audited.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, audit: AuditRecorder) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._audit = audit

    async def __call__(self, cmd: AddProductCommand) -> Product:
        product = Product.create(
            id=self._ids.new_id(),
            sku=cmd.sku,
            name=cmd.name,
            kind=cmd.kind,
            unit_price=money_field(cmd.unit_amount, cmd.currency, "unit_amount"),
            capacity=cmd.capacity,
            active=cmd.active,
            metadata=validate_metadata(cmd.metadata),
            now=self._clock.now(),
        )
        async with self._uow() as uow:
            if await uow.products.get_by_sku(product.sku) is not None:
                raise AlreadyExists(f"a product with sku '{product.sku}' already exists")
            await uow.products.add(product)
            await uow.audit.append(
                self._audit.entry(
                    entity_type="product",
                    entity_id=product.id,
                    action="product.created",
                    actor=cmd.actor,
                    amount=product.unit_price.amount,
                    currency=product.unit_price.currency,
                    details={"sku": product.sku, "capacity": product.capacity, "active": product.active},
                )
            )
            await uow.commit()
        return product
