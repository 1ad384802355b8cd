"""`python -m sandbox.amocrm`: this emulator alone, with the same flags as `python -m sandbox amocrm`.

The package dispatcher (`python -m sandbox …`) imports every emulator's CLI up front; this entry point
needs only this package, so it also runs on a checkout that has no other emulator.
"""

from __future__ import annotations

import argparse
import sys

from sandbox.__main__ import EMULATORS, catch_sigterm, wait_for_stop
from sandbox.amocrm import cli
from sandbox.serve import ServerThread


def main(argv: list[str] | None = None) -> int:
    catch_sigterm()
    parser = argparse.ArgumentParser(prog="python -m sandbox.amocrm", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=EMULATORS["amocrm"])
    cli.add_arguments(parser)
    args = parser.parse_args(argv)
    service = cli.build(args)
    server = ServerThread(service.app, args.host, args.port).start()
    print(service.banner(server.url), flush=True)
    try:
        wait_for_stop()
    finally:
        server.stop()
        service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
