"""Which payment providers this deployment offers."""

from __future__ import annotations

from collections.abc import Mapping

from application.errors import ProviderNotConfigured
from application.ports import PaymentGateway


class PaymentGateways:
    """The configured providers by name; a provider with no credentials is simply absent."""

    def __init__(self, gateways: Mapping[str, PaymentGateway]) -> None:
        self._gateways = dict(gateways)

    def get(self, provider: str) -> PaymentGateway:
        gateway = self._gateways.get(provider)
        if gateway is None:
            raise ProviderNotConfigured(f"the {provider} provider is not configured here")
        return gateway

    @property
    def offered(self) -> list[str]:
        return sorted(self._gateways)
