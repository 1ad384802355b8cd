"""Request signatures (RFC 9421), Google ID tokens, and encryption at rest (see security/README.md)."""
