"""`make sandbox`: the whole product on this machine, interactive, at one local URL. Ctrl-C stops it all.

    python -m sandbox.interactive [--port 8800] [--rows 500]

Starts a real Redis, the amoCRM and Sheets emulators, the backend under gunicorn and two RQ workers
(sandbox/local.py), puts sandbox/data/leads.csv in a spreadsheet owned by you, and serves the sandbox page
(sandbox/web/) from this process: the spreadsheet grid, the real add-on sidebar and the amoCRM board.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

from sandbox.local import AMO_HOST, AUDIENCE, USER, LocalProduct, sample_rows
from sandbox.redis_server import free_port
from sandbox.serve import ServerThread
from sandbox.web.app import PageConfig, create_app


def page_config(product: LocalProduct, spreadsheet_id: str) -> PageConfig:
    return PageConfig(
        backend=product.web,
        sheets=product.sheets,
        amo=product.amo,
        amo_host=AMO_HOST,
        spreadsheet_id=spreadsheet_id,
        user=USER,
        audience=AUDIENCE,
    )


def serve_page(config: PageConfig, port: int = 0) -> ServerThread:
    """The page on `port` (0, or a port in use: a free one)."""
    try:
        return ServerThread(create_app(config), port=port).start()
    except OSError:
        return ServerThread(create_app(config), port=free_port()).start()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C and SIGTERM stop everything, also while starting (and also when the shell that started this
    # process had SIGINT ignored, as a non-interactive shell does for background jobs).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(prog="python -m sandbox.interactive", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8800, help="the page's port (a free one if taken)")
    parser.add_argument("--rows", type=int, default=None, help="use only the first N rows of the sample data")
    args = parser.parse_args(argv)

    log_dir = Path(tempfile.mkdtemp(prefix="sandbox-logs-"))
    print("sandbox: starting Redis, the amoCRM and Sheets emulators, the backend and 2 workers…", flush=True)
    product = LocalProduct(log_dir)
    page = None
    try:
        product.start()
        rows = sample_rows(args.rows)
        spreadsheet_id = product.create_spreadsheet(rows)
        page = serve_page(page_config(product, spreadsheet_id), args.port)
        print(f"sandbox: a spreadsheet of {len(rows) - 1} rows; process logs in {log_dir}")
        print(f"\n    open {page.url}/\n\nCtrl-C stops everything.", flush=True)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        print(f"sandbox: failed: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if page is not None:
            page.stop()
        product.stop()
        print("sandbox: stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
