"""`python -m sandbox <service>`: the local stand-ins for amoCRM, Google Sheets and Redis.

- `redis`   a real redis-server on a loopback port (prints its URL; Ctrl-C stops it)
"""

from __future__ import annotations

import argparse
import signal
import sys


def wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM."""

    def _stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="service", required=True)
    r = sub.add_parser("redis", help="run a real redis-server on a loopback port")
    r.add_argument("--port", type=int, default=None)
    r.add_argument("--appendonly", action="store_true")
    args = parser.parse_args(argv)

    if args.service == "redis":
        from sandbox.redis_server import RedisServer

        with RedisServer(port=args.port, appendonly=args.appendonly) as srv:
            print(f"redis-server ({srv.binary}) listening: REDIS_URL={srv.url}", flush=True)
            wait_for_stop()
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
