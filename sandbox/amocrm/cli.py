"""`python -m sandbox amocrm`: flags, environment and the start-up banner.

The integration's credentials come from flags, else from the same variables the backend reads
(`AMO_CLIENT_ID`, `AMO_CLIENT_SECRET`, `AMO_REDIRECT_URI`), else from the demo defaults, so a backend
started with the same environment talks to this emulator without further setup. With `--state FILE`
the state is loaded from FILE if it exists and saved there on exit (and on `POST /_sandbox/save`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sandbox.amocrm import seed
from sandbox.amocrm.app import create_app
from sandbox.amocrm.faults import Knobs
from sandbox.amocrm.runtime import Emulator
from sandbox.amocrm.state import Integration, State
from sandbox.serve import Service


def add_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument(
        "--state", type=Path, default=None, help="JSON file to load at start and save on exit"
    )
    parser.add_argument("--client-id", default=env("AMO_CLIENT_ID", seed.DEFAULT_CLIENT_ID))
    parser.add_argument("--client-secret", default=env("AMO_CLIENT_SECRET", seed.DEFAULT_CLIENT_SECRET))
    parser.add_argument("--redirect-uri", default=env("AMO_REDIRECT_URI", seed.DEFAULT_REDIRECT_URI))
    parser.add_argument("--revoke-hook-url", default=None, help="where the signed access-revoked GET goes")
    parser.add_argument("--rps", type=float, default=7.0, help="requests per second per account (amoCRM: 7)")
    parser.add_argument("--ban-after", type=int, default=10, help="consecutive 429s before the 403 ban")
    parser.add_argument("--no-rate-limit", action="store_true", help="turn the rate limit off")


def build(args: argparse.Namespace) -> Service:
    integration = Integration(args.client_id, args.client_secret, args.redirect_uri)
    integration.revoke_hook_url = args.revoke_hook_url
    state = State.load(args.state) if args.state and args.state.exists() else None
    if state is not None:  # the banner must tell the truth: the configured integration exists
        state.integrations[integration.client_id] = integration
    knobs = Knobs(rate_limit=not args.no_rate_limit, rps=args.rps, ban_after=args.ban_after)
    app = create_app(Emulator(state, integration=integration, state_file=args.state, knobs=knobs))
    emu = app.extensions["amocrm"]

    def banner(url: str) -> str:
        hosts = ", ".join(sorted(emu.state.accounts)) or "(none)"
        first = next(iter(sorted(emu.state.accounts)), seed.DEFAULT_HOST)
        return "\n".join(
            [
                f"amoCRM (Kommo) API v4 sandbox listening on {url}",
                f"  accounts        {hosts}",
                f"  API base        {url}/{first}/api/v4   (AMO_BASE_URL_TEMPLATE={url}/{{host}})",
                f"  authorize page  {url}/oauth?client_id={integration.client_id}",
                f"                  (AMO_AUTHORIZE_URL={url}/oauth)",
                f"  client id       {integration.client_id}",
                f"  client secret   {integration.client_secret}",
                f"  redirect URI    {integration.redirect_uri}",
                f"  rate limit      {'off' if args.no_rate_limit else f'{args.rps:g} req/s per account'}",
                f"  admin API       {url}/_sandbox/   board: {url}/_sandbox/view/{first}",
                f"  state           {args.state or 'in memory (use --state FILE to keep it)'}",
            ]
        )

    return Service(app=app, banner=banner, close=emu.close)
