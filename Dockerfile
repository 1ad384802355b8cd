# One image, two processes: the web service (default CMD) and the queue worker
# (command override: python -m backend worker). See docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8080 \
    APP_ENV=production

WORKDIR /app

# The backend alone: the local stand-ins (sandbox/) are their own distribution and never enter the image
# (tests/packaging checks both this file and the wheel it installs).
# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
COPY backend/__init__.py backend/__init__.py
RUN pip install --upgrade pip && pip install . && pip uninstall -y sheets-amo-sync

COPY backend backend
RUN pip install --no-deps . && useradd --create-home --uid 10001 app

USER app
EXPOSE 8080

# Same argv as `python -m backend web` (backend/__main__.py GUNICORN_ARGV; a test keeps them equal).
CMD ["gunicorn", "--config", "python:backend.gunicorn_conf", "backend.app:create_app()"]
