"""The sandbox provider's webhooks: Standard Webhooks signatures (HMAC-SHA256, `whsec_` secrets)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from application.errors import InvalidRequest, InvalidSignature
from application.ports import PaymentEventFacts, PaymentEventReader, VerifiedEvent, WebhookVerifier

SIGNING_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class SandboxWebhookVerifier(WebhookVerifier):
    """Accepts a delivery signed with any configured secret, so a secret can be rolled: configure
    old and new, move the sender to the new one, then drop the old one. The package checks the
    timestamp against the real clock with a 300 s tolerance either way."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("the sandbox webhook verifier needs at least one secret")
        self._webhooks = [Webhook(secret) for secret in secrets]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> VerifiedEvent:
        lowered = {name.lower(): value for name, value in headers.items()}
        signing = {name: lowered[name] for name in SIGNING_HEADERS if name in lowered}
        if not any(self._verifies(webhook, body, signing) for webhook in self._webhooks):
            raise InvalidSignature("the webhook signature or timestamp does not verify")
        # Authentic from here on: a body we cannot read is the sender's bug, not forgery.
        try:
            document = json.loads(body)
            event_id, event_type = document["id"], document["type"]
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidRequest("the webhook body is not a sandbox event") from exc
        if not isinstance(event_id, str) or not isinstance(event_type, str) or event_id != signing["webhook-id"]:
            raise InvalidRequest("the webhook body's id and type must be strings, the id equal to webhook-id")
        return VerifiedEvent(provider_event_id=event_id, type=event_type, headers=signing)

    @staticmethod
    def _verifies(webhook: Webhook, body: bytes, headers: dict[str, str]) -> bool:
        try:
            webhook.verify(body, headers, json_parse=False)
        # ValueError covers what the package lets through on hostile input: a body that is not
        # UTF-8, a signature without a comma, bad base64.
        except (WebhookVerificationError, ValueError):
            return False
        return True


class SandboxEventReader(PaymentEventReader):
    """Reads `data` of a sandbox event: `{payment_id, refund_id?, amount, currency}`."""

    def read(self, payload: bytes) -> PaymentEventFacts:
        try:
            data = json.loads(payload)["data"]
            payment_id, amount, refund_id = data["payment_id"], data["amount"], data.get("refund_id")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValueError("not a sandbox payment event") from exc
        if not isinstance(payment_id, str) or isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValueError("a sandbox event needs a string payment_id and a non-negative integer amount")
        if refund_id is not None and not isinstance(refund_id, str):
            raise ValueError("a sandbox event's refund_id must be a string")
        return PaymentEventFacts(provider_payment_id=payment_id, amount=amount, provider_refund_id=refund_id)
