"""Google Sheets API v4 adapter: the client and the sheet layout (see sheets/README.md)."""
