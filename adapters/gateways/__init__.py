"""Payment providers: gateways and webhook verifiers, each behind an application port."""
