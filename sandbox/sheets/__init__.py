"""sandbox.sheets — a faithful Google Sheets API v4 emulator plus a local Google ID-token issuer.

Start it with `python -m sandbox sheets` (see README.md for the reading order and every endpoint).
Importing this package has no side effects; `app.create_app()` builds the Flask app.
"""
