"""Command line: `python -m backend web|worker|scheduler|enqueue|sync|check-config`.

- `web`      runs gunicorn exactly as the Dockerfile does (same config module, same app factory).
- `worker`   runs an RQ worker on the project's queues (see backend/queues.py).
- `scheduler` enqueues the periodic jobs (reconcile, webhook check, token keep-alive).
- `enqueue JOB` enqueues one maintenance job now (for Cloud Scheduler / a Cloud Run job).
- `sync CONNECTION_ID [--preview] [--yes]` runs a full sync in the foreground with a progress bar.
- `check-config` parses the environment and prints every problem at once (exit 2) or "ok".
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from backend import queues
from backend.settings import ConfigError, Settings

# The Dockerfile's CMD is this list; tests/integration/test_gunicorn.py checks they agree.
GUNICORN_ARGV = ["gunicorn", "--config", "python:backend.gunicorn_conf", "backend.app:create_app()"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("web", help="serve HTTP with gunicorn on $PORT (default 8080)")
    w = sub.add_parser("worker", help="run an RQ worker")
    w.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    w.add_argument(
        "--queues", default=",".join(queues.ALL), help="comma-separated queue names, in priority order"
    )
    w.add_argument("--name", default=None, help="worker name (default: RQ's)")
    sub.add_parser("scheduler", help="enqueue the periodic jobs (reconcile, webhook check, token keep-alive)")
    e = sub.add_parser("enqueue", help="enqueue one maintenance job now")
    e.add_argument("job", choices=["reconcile_all", "check_webhooks", "refresh_tokens", "reconcile_unhooked"])
    s = sub.add_parser("sync", help="run a full sync of one connection in the foreground")
    s.add_argument("connection_id")
    s.add_argument("--preview", action="store_true", help="plan only; change nothing")
    s.add_argument("--yes", action="store_true", help="confirm a run the blast-radius guard stopped")
    sub.add_parser("check-config", help="validate the environment and exit")
    args = parser.parse_args(argv)

    try:
        Settings.from_env()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2

    if args.command == "check-config":
        print("ok: configuration is valid")
        return 0
    if args.command == "web":
        gunicorn = shutil.which(
            "gunicorn", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
        )
        if not gunicorn:
            print("gunicorn is not installed in this environment", file=sys.stderr)
            return 2
        os.execv(gunicorn, [gunicorn, *GUNICORN_ARGV[1:]])  # noqa: S606  (replace this process, as a container CMD does)
    if args.command == "scheduler":
        from backend import schedule

        schedule.run()
        return 0
    if args.command == "enqueue":
        from backend import schedule, services

        # through the once-per-tick guard: Cloud Scheduler and a scheduler process never double a run
        job = queues.enqueue(services.bootstrap().redis, queues.DEFAULT, schedule.run_scheduled, args.job)
        print(f"enqueued {args.job}: job {job.id}")
        return 0
    if args.command == "sync":
        from backend import cli_sync

        return cli_sync.run(args.connection_id, preview=args.preview, yes=args.yes)
    if args.command == "worker":
        from backend import worker

        worker.run([q.strip() for q in args.queues.split(",") if q.strip()], burst=args.burst, name=args.name)
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
