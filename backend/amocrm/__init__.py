"""amoCRM (Kommo) API v4: HTTP client, OAuth, models, webhook payloads (see amocrm/README.md)."""
