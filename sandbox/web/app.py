"""The sandbox page's Flask app: one origin for the page, the add-on's code and its way out.

| route | serves |
|---|---|
| `/` | the page (templates/index.html); its settings in one `data-config` attribute |
| `/static/…` | the page's own JS and CSS (static/) |
| `/gas/<file>.js` | the Apps Script doubles (sandbox/gas/), loaded by the page as they are |
| `/project.json` | the add-on as clasp pushes it (project.py) |
| `/proxy/backend/api/v1/…`, `/proxy/sheets/_sandbox/…` | the backend and the Sheets emulator (proxy.py) |

The amoCRM board is not proxied: the page shows it in an iframe from the amoCRM emulator's own origin
(a person's browser tab on amoCRM), and the connect popup navigates to the backend and the emulator
directly, as it does in production.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import Flask, abort, jsonify, render_template, send_from_directory

from sandbox.web import proxy
from sandbox.web.project import load_project

GAS_DIR = Path(__file__).resolve().parent.parent / "gas"
# The doubles a browser page loads, in order (sandbox/gas/README.md), plus its transport.
GAS_FILES = ("bytes.js", "runtime.js", "memory-store.js", "spreadsheet.js", "ui.js", "properties.js",
             "utilities.js", "sheets-store.js", "urlfetch.js", "scriptapp.js", "htmlservice.js", "gas.js",
             "run-shim.js", "transport-xhr.js")  # fmt: skip


@dataclass(frozen=True)
class PageConfig:
    backend: str  # the backend's base URL (what the add-on's BACKEND_URL stands for)
    sheets: str  # the Sheets emulator
    amo: str  # the amoCRM emulator
    amo_host: str  # the account whose board is shown
    spreadsheet_id: str
    user: str  # the person at the keyboard: owner of the spreadsheet, the add-on's user
    audience: str  # the add-on's OAuth client id: the audience of its ID tokens


def create_app(config: PageConfig) -> Flask:
    app = Flask(__name__)
    app.config["PROXY_TARGETS"] = {"backend": config.backend.rstrip("/"), "sheets": config.sheets.rstrip("/")}
    app.register_blueprint(proxy.bp)
    page = {
        "spreadsheetId": config.spreadsheet_id,
        "user": config.user,
        "audience": config.audience,
        "amoBoard": f"{config.amo.rstrip('/')}/_sandbox/view/{config.amo_host}?refresh=5",
        "amoHost": config.amo_host,
        "gasFiles": list(GAS_FILES),
    }

    @app.get("/")
    def index():
        return render_template("index.html", config=json.dumps(page, ensure_ascii=False), files=GAS_FILES)

    @app.get("/gas/<name>")
    def gas(name: str):
        if name not in GAS_FILES:
            abort(404)
        return send_from_directory(GAS_DIR, name, mimetype="text/javascript", max_age=0)

    @app.get("/project.json")
    def project():
        return jsonify(load_project())

    @app.get("/config.json")
    def settings():
        return jsonify(asdict(config))

    return app
