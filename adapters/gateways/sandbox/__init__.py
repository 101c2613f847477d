"""The built-in sandbox provider: a hosted-checkout payment provider simulated in Tessera's own
process, with its own state, idempotency keys, injectable faults and signed webhooks over HTTP."""
