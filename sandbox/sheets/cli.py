"""`python -m sandbox sheets`: command-line options and the Service the dispatcher runs.

`add_arguments(parser)` adds this emulator's options (the dispatcher adds --host/--port);
`build(args)` returns a `sandbox.serve.Service` whose `close()` saves `--state FILE`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sandbox.serve import Service
from sandbox.sheets.auth import DEFAULT_ANONYMOUS_PRINCIPAL, DEFAULT_PROJECT
from sandbox.sheets.quotas import QuotaSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state", type=Path, default=None, help="JSON file to load at start and save at exit"
    )
    parser.add_argument(
        "--anonymous-principal",
        default=DEFAULT_ANONYMOUS_PRINCIPAL,
        help="who a call without an Authorization header acts as ('' refuses such calls)",
    )
    parser.add_argument(
        "--project", default=DEFAULT_PROJECT, help="the Google Cloud project of anonymous callers"
    )
    parser.add_argument("--read-per-user", type=int, default=60, help="read requests per minute per user")
    parser.add_argument(
        "--read-per-project", type=int, default=300, help="read requests per minute per project"
    )
    parser.add_argument("--write-per-user", type=int, default=60, help="write requests per minute per user")
    parser.add_argument(
        "--write-per-project", type=int, default=300, help="write requests per minute per project"
    )
    parser.add_argument("--no-quotas", action="store_true", help="never answer 429 for quota")
    parser.add_argument("--cors", action="store_true", help="permissive CORS on /v4/* and /_sandbox/*")


def build(args: argparse.Namespace) -> Service:
    from sandbox.sheets.app import create_app
    from sandbox.sheets.state import SheetsState

    quotas = QuotaSettings(
        args.read_per_user,
        args.read_per_project,
        args.write_per_user,
        args.write_per_project,
        not args.no_quotas,
    )
    options = {
        "anonymous_principal": args.anonymous_principal,
        "project": args.project,
        "quotas": quotas,
        "cors": args.cors,
    }
    state_file: Path | None = args.state
    if state_file is not None and state_file.exists():
        state = SheetsState.load(state_file, **options)
    else:
        state = SheetsState(**options)
    app = create_app(state, state_file=state_file)

    def banner(url: str) -> str:
        who = args.anonymous_principal or "nobody (anonymous calls refused)"
        return (
            f"Sheets API v4 sandbox: api_endpoint={url}/  certs={url}/oauth2/v1/certs  "
            f"admin={url}/_sandbox/  view={url}/  anonymous caller={who}"
        )

    def close() -> None:
        if state_file is not None:
            state.save(state_file)

    return Service(app=app, banner=banner, close=close)
