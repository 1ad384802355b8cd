"""The emulator's Flask app factory: `create_app(state=None, *, state_file=None)`.

Takes the `SheetsState` (default: `SheetsState()`; its options are the state's own), keeps it in
`app.extensions["sheets_sandbox"]`, registers the blueprints — `/v4/*` (api.py), `/_sandbox/*`
(admin.py, admin_knobs.py, script_access.py), `/oauth2/v1|v3/certs` (identity.py), the HTML view
(view.py) — and the optional permissive CORS for `/v4/*` and `/_sandbox/*` (a browser page on another
loopback origin calls the emulator directly).
Importing this module builds nothing.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, request

from sandbox.sheets.state import SheetsState

CORS_PREFIXES = ("/v4/", "/_sandbox/")


def create_app(state: SheetsState | None = None, *, state_file: Path | None = None) -> Flask:
    from sandbox.sheets import admin, admin_knobs, api, drive, drive_files, identity, script_access, view

    if state is None:
        state = SheetsState()
    app = Flask(__name__)
    app.json.sort_keys = False  # keep Google's field order (spreadsheetId first, …)
    app.config["SHEETS_STATE_FILE"] = str(state_file) if state_file else None
    app.extensions["sheets_sandbox"] = state
    app.register_blueprint(api.bp)
    app.register_blueprint(drive_files.bp)  # Drive files.get: a spreadsheet's version, before a read
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_knobs.bp)
    app.register_blueprint(script_access.bp)
    app.register_blueprint(identity.bp)
    app.register_blueprint(view.bp)
    app.register_blueprint(drive.bp)  # /drive/v3: the service account removes its own access
    _init_cors(app, state)
    return app


def _init_cors(app: Flask, state: SheetsState) -> None:
    def applies() -> bool:
        return state.cors and request.path.startswith(CORS_PREFIXES)

    def add_headers(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "Authorization, Content-Type"
        )
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers["Vary"] = "Origin"
        return response

    @app.before_request
    def preflight():
        if request.method == "OPTIONS" and applies():
            return add_headers(Response(status=204))  # answered here: never counted, faulted or charged
        return None

    @app.after_request
    def cors_headers(response: Response) -> Response:
        return add_headers(response) if applies() else response
