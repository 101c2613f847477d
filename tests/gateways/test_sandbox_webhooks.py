from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from adapters.gateways.sandbox_webhooks import SandboxWebhookVerifier
from application.errors import InvalidRequest, InvalidSignature
from tests.support import sandbox_delivery

OLD = "whsec_" + base64.b64encode(b"old-secret-old-secret-old-secret").decode()
NEW = "whsec_" + base64.b64encode(b"new-secret-new-secret-new-secret").decode()


def test_a_signed_delivery_verifies_and_keeps_its_signing_headers() -> None:
    body, headers = sandbox_delivery(NEW, "evt_1", "payment.failed")
    verified = SandboxWebhookVerifier([NEW]).verify(body, {k.title(): v for k, v in headers.items()})
    assert (verified.provider_event_id, verified.type, verified.headers) == ("evt_1", "payment.failed", headers)


def test_with_a_rolled_secret_both_old_and_new_signatures_verify() -> None:
    verifier = SandboxWebhookVerifier([OLD, NEW])
    for secret in (OLD, NEW):
        assert verifier.verify(*sandbox_delivery(secret, "evt_1")).provider_event_id == "evt_1"


def _tampered() -> tuple[bytes, dict[str, str]]:
    body, headers = sandbox_delivery(NEW, "evt_1")
    return body.replace(b"5000", b"5001"), headers


def _without(name: str) -> tuple[bytes, dict[str, str]]:
    body, headers = sandbox_delivery(NEW, "evt_1")
    del headers[name]
    return body, headers


def _garbled_signature() -> tuple[bytes, dict[str, str]]:
    body, headers = sandbox_delivery(NEW, "evt_1")
    return body, {**headers, "webhook-signature": "v1 no-comma"}


@pytest.mark.parametrize(
    "delivery",
    [
        pytest.param(_tampered, id="tampered body"),
        pytest.param(lambda: sandbox_delivery(OLD, "evt_1"), id="wrong secret"),
        pytest.param(lambda: _without("webhook-signature"), id="no signature"),
        pytest.param(lambda: _without("webhook-timestamp"), id="no timestamp"),
        pytest.param(lambda: _without("webhook-id"), id="no id"),
        pytest.param(
            lambda: sandbox_delivery(NEW, "evt_1", at=datetime.now(UTC) - timedelta(seconds=301)), id="stale"
        ),
        pytest.param(
            lambda: sandbox_delivery(NEW, "evt_1", at=datetime.now(UTC) + timedelta(seconds=301)), id="future"
        ),
        pytest.param(_garbled_signature, id="garbled signature"),
        pytest.param(lambda: (b"\xff\xfe", sandbox_delivery(NEW, "evt_1")[1]), id="body not utf-8"),
    ],
)
def test_unverifiable_deliveries_are_refused(delivery) -> None:
    with pytest.raises(InvalidSignature):
        SandboxWebhookVerifier([NEW]).verify(*delivery())


@pytest.mark.parametrize("body", [b"not json", b'{"id": "evt_1"}', b'{"id": "evt_other", "type": "x"}'])
def test_a_signed_body_that_is_not_a_sandbox_event_is_an_invalid_request(body: bytes) -> None:
    now = datetime.now(UTC)
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(NEW).sign("evt_1", now, body.decode()),
    }
    with pytest.raises(InvalidRequest):
        SandboxWebhookVerifier([NEW]).verify(body, headers)
