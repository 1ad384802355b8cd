"""The Flask application factory: `create_app(settings=None)`.

Builds settings (from the environment unless given), logging, the Redis client and queues, keeps them in
`app.extensions["services"]`, installs the problem+json error handlers and registers the blueprints of
`backend/web/`. Importing this module does nothing; gunicorn calls `backend.app:create_app()`.
"""

from __future__ import annotations

from flask import Flask

from backend import services as services_mod
from backend.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    services = services_mod.bootstrap(settings)
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=services.settings.max_request_bytes,
        JSON_SORT_KEYS=False,
        PREFERRED_URL_SCHEME="https" if services.settings.is_production else "http",
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Cyrillic stays readable
    app.extensions["services"] = services

    from backend.web import activity_api, addon_api, health, oauth, problem, webhooks

    problem.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(addon_api.bp)
    app.register_blueprint(activity_api.bp)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(webhooks.bp)
    return app
