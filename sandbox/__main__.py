"""`python -m sandbox <service>`: the local stand-ins for amoCRM, Google Sheets and Redis.

- `amocrm`  the amoCRM (Kommo) API v4 emulator        (sandbox/amocrm/README.md), default port 8801
- `sheets`  the Google Sheets API v4 emulator + ID-token issuer (sandbox/sheets/README.md), port 8802
- `all`     both emulators in one process
- `redis`   a real redis-server on a loopback port

Each emulator package has `cli.py` with `add_arguments(parser)` and `build(args) -> sandbox.serve.Service`.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from sandbox.serve import ServerThread

EMULATORS = {"amocrm": 8801, "sheets": 8802}


def _stop(*_):
    raise KeyboardInterrupt


def catch_sigterm() -> None:
    """Treat SIGTERM like Ctrl-C from now on, so `finally` blocks save state and stop servers.
    Call it first thing: a SIGTERM that arrives before it kills the process without cleanup."""
    signal.signal(signal.SIGTERM, _stop)


def wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM."""
    catch_sigterm()
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass


def _cli(name: str):
    return importlib.import_module(f"sandbox.{name}.cli")


def main(argv: list[str] | None = None) -> int:
    catch_sigterm()
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="service", required=True)
    wanted = argv[0] if argv else None
    for name, port in EMULATORS.items():
        p = sub.add_parser(name, help=f"run the {name} emulator")
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=port)
        if wanted == name:  # import only the emulator being started
            _cli(name).add_arguments(p)
    a = sub.add_parser("all", help="run every emulator with its defaults")
    a.add_argument("--host", default="127.0.0.1")
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

    names = list(EMULATORS) if args.service == "all" else [args.service]
    running = []
    try:
        for name in names:
            sub_args = args
            if args.service == "all":
                p = argparse.ArgumentParser()
                _cli(name).add_arguments(p)
                sub_args = p.parse_args([])
                sub_args.host, sub_args.port = args.host, EMULATORS[name]
            service = _cli(name).build(sub_args)
            server = ServerThread(service.app, sub_args.host, sub_args.port).start()
            running.append((service, server))
            print(service.banner(server.url), flush=True)
        wait_for_stop()
    except KeyboardInterrupt:
        pass  # stopped while starting: clean up below all the same
    finally:
        for service, server in reversed(running):
            server.stop()
            service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
