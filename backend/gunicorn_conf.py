"""gunicorn settings for the web process — the Dockerfile and `python -m backend web` both load this.

gthread workers: the web process mostly waits on Redis and amoCRM, so threads are cheap concurrency.
`timeout = 0` lets Cloud Run own request timeouts (Google's own Python samples do the same).
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 0
graceful_timeout = 8  # Cloud Run sends SIGTERM and SIGKILL 10 s later: finish requests within that
keepalive = 5
accesslog = "-"
# The access line passes through backend.logs' redacting JSON formatter (the app configures the root
# logger), so secrets in paths (/webhooks/amocrm/<token>) and query strings (?code=…) are struck out.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "backend.logs.JsonFormatter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
        "gunicorn.access": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
