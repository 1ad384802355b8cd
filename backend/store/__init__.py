"""State in Redis: connection, tenants, tokens, ledger, locks, rate limits (see store/README.md)."""
