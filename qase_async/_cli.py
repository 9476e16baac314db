"""The ``qase-async`` command line: one subcommand per task.

Subcommands register themselves in :func:`build_parser`; each sets ``func`` to a callable
taking the parsed arguments and returning an exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from ._cli_upload import add_upload_parser
from ._version import __version__

__all__ = ["build_parser", "main"]


def _rate_limit(value: str) -> tuple[int, float] | None:
    """Parse ``N/SECONDS`` (e.g. ``600/60``), or ``off``."""
    if value.lower() in ("off", "none", "0"):
        return None
    try:
        count, _, window = value.partition("/")
        parsed = (int(count), float(window or 60))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected N/SECONDS, e.g. 600/60, not {value!r}"
        ) from None
    if parsed[0] < 1 or parsed[1] <= 0:
        raise argparse.ArgumentTypeError("the limit and the window must be positive")
    return parsed


def _add_fake_server(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "fake-server",
        help="serve the in-memory fake Qase API on loopback",
        description=(
            "Serve an in-memory, stateful fake of the Qase TestOps API (v1 under /v1, v2 "
            "under /v2) for tests of any client or reporter. Needs qase-async[testing]."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any)")
    parser.add_argument(
        "--token",
        action="append",
        default=None,
        metavar="T",
        help="accepted API token (repeatable); without it any non-empty token is accepted",
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=(600, 60.0),
        metavar="N/SECONDS",
        help="requests per sliding window per token (default 600/60; 'off' disables)",
    )
    parser.add_argument(
        "--lockout", type=float, default=60.0, help="lock-out seconds after an overrun"
    )
    parser.add_argument("--max-bulk", type=int, default=200, help="results per bulk request")
    parser.add_argument(
        "--storage-quota", type=int, default=None, metavar="BYTES", help="attachment quota"
    )
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="fraction of 500/502/503 answers"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument(
        "--drop-rate", type=float, default=0.0, help="fraction of dropped connections"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault generator")
    parser.add_argument(
        "--log-level", default="warning", help="uvicorn log level (default warning)"
    )
    parser.set_defaults(func=_run_fake_server)


def _run_fake_server(args: argparse.Namespace) -> int:
    from .testing import FakeQase, Faults
    from .testing._asgi import bind, make_server

    fake = FakeQase(
        tokens=set(args.token) if args.token else None,
        rate_limit=args.rate_limit,
        lockout=args.lockout,
        max_bulk=args.max_bulk,
        storage_quota=args.storage_quota,
        faults=Faults(
            rate=args.fault_rate, latency=args.latency, drop_rate=args.drop_rate, seed=args.seed
        ),
    )
    try:
        server = make_server(fake, log_level=args.log_level)
    except RuntimeError as exc:
        print(f"qase-async: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(f"qase-async: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    origin = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    tokens = "the given tokens" if args.token else "any non-empty token"
    print(
        f"Fake Qase API on {origin}/v1 and {origin}/v2, accepting {tokens}; Ctrl+C stops.",
        flush=True,
    )
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="qase-async", description="Tools around the qase-async Qase TestOps client."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_fake_server(subparsers)
    add_upload_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
