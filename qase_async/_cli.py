"""The ``qase-async`` command line: one subcommand per task.

Subcommands register themselves in :func:`build_parser`; each sets ``func`` to a callable
taking the parsed arguments and returning an exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ._cli_read import add_read_parser
from ._cli_upload import add_upload_parser
from ._version import __version__

if TYPE_CHECKING:
    from .testing import FakeRequest, FakeTLS

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
    parser.add_argument(
        "--results-in-closed-runs",
        action="store_true",
        help="accept results into completed runs (the service answers 400 unless a project "
        "setting allows them)",
    )
    parser.add_argument(
        "--unknown-case-ids",
        choices=("keep", "reject", "auto_create"),
        default="keep",
        help="a v2 result naming a missing case: stored under that id (default), 422, or "
        "matched/created as without an id",
    )
    parser.add_argument(
        "--record",
        metavar="FILE",
        help="append each answered request to FILE as a JSON line (method, path, query, "
        "status, JSON body; never headers, so never the token)",
    )
    tls = parser.add_argument_group(
        "HTTPS",
        "The official reporters speak HTTPS only. Bring a certificate, or let --tls make a "
        "throwaway CA and print the path of the CA bundle to trust.",
    )
    tls.add_argument("--ssl-certfile", metavar="FILE", help="serve HTTPS with this certificate")
    tls.add_argument("--ssl-keyfile", metavar="FILE", help="the private key of --ssl-certfile")
    tls.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a throwaway CA and certificate for 127.0.0.1 and localhost",
    )
    tls.add_argument(
        "--tls-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another name the --tls certificate is valid for (repeatable)",
    )
    parser.set_defaults(func=_run_fake_server)


class _Recorder:
    """Writes each answered request as one JSON line: what a reporter really sent."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def __call__(self, request: FakeRequest, status: int) -> None:
        body: Any = None
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = json.loads(request.body or b"null")
            except ValueError:
                body = None
        line = {
            "method": request.method.upper(),
            "path": request.path,
            "query": request.query,
            "status": status,
            "body": body,
        }
        self.out.write(json.dumps(line, separators=(",", ":")) + "\n")
        self.out.flush()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _fake_tls(args: argparse.Namespace) -> FakeTLS | bool | None:
    """The TLS choice of ``fake-server``'s options; a usage error for a bad combination."""
    from .testing import FakeTLS

    parser: argparse.ArgumentParser = args.parser
    own = args.ssl_certfile is not None or args.ssl_keyfile is not None
    if own and args.tls:
        parser.error("--tls makes its own certificate: drop --ssl-certfile/--ssl-keyfile")
    if args.tls_host and not args.tls:
        parser.error("--tls-host names hosts for the --tls certificate: add --tls")
    if own:
        if args.ssl_certfile is None or args.ssl_keyfile is None:
            parser.error("--ssl-certfile and --ssl-keyfile go together")
        return FakeTLS(certfile=args.ssl_certfile, keyfile=args.ssl_keyfile)
    return True if args.tls else None


def _run_fake_server(args: argparse.Namespace) -> int:
    tls = _fake_tls(args)
    with contextlib.ExitStack() as stack:
        recorder = None
        if args.record is not None:
            try:
                out = stack.enter_context(open(args.record, "a", encoding="utf-8"))
            except OSError as exc:
                print(f"qase-async: cannot write {args.record}: {exc}", file=sys.stderr)
                return 2
            recorder = _Recorder(out)
        return _serve_fake(args, tls, recorder)


def _serve_fake(
    args: argparse.Namespace, tls: FakeTLS | bool | None, recorder: _Recorder | None
) -> int:
    from .testing import FakeQase, Faults
    from .testing._asgi import bind, make_server, origin
    from .testing._tls import tls_files

    fake = FakeQase(
        tokens=set(args.token) if args.token else None,
        rate_limit=args.rate_limit,
        lockout=args.lockout,
        max_bulk=args.max_bulk,
        storage_quota=args.storage_quota,
        faults=Faults(
            rate=args.fault_rate, latency=args.latency, drop_rate=args.drop_rate, seed=args.seed
        ),
        results_in_closed_runs=args.results_in_closed_runs,
        unknown_case_ids=args.unknown_case_ids,
        on_request=recorder,
    )
    try:
        with tls_files(tls, args.tls_host) as files:
            server = make_server(fake, log_level=args.log_level, tls=files)
            try:
                sock = bind(args.host, args.port)
            except OSError as exc:
                print(
                    f"qase-async: cannot listen on {args.host}:{args.port}: {exc}",
                    file=sys.stderr,
                )
                return 1
            url = origin(sock, files is not None)
            tokens = "the given tokens" if args.token else "any non-empty token"
            print(
                f"Fake Qase API on {url}/v1 and {url}/v2, accepting {tokens}; Ctrl+C stops.",
                flush=True,
            )
            if files is not None and files.ca_bundle is not None:
                print(
                    f"CA bundle to trust: {files.ca_bundle} "
                    f"(certificate for {', '.join(files.hosts)}; removed on exit)",
                    flush=True,
                )
            # uvicorn hands SIGTERM back to the previous handler once it has stopped; make
            # that handler unwind the stack so the throwaway certificate folder is removed.
            previous = signal.signal(signal.SIGTERM, _interrupt)
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except KeyboardInterrupt:
                pass
            finally:
                signal.signal(signal.SIGTERM, previous)
                sock.close()
    except (RuntimeError, OSError, ValueError) as exc:
        # A missing extra, or a certificate or key uvicorn cannot load.
        print(f"qase-async: {exc}", file=sys.stderr)
        return 2
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
    add_read_parser(subparsers)
    for sub in subparsers.choices.values():
        # Each subcommand reports usage errors with its own usage, not the top level's.
        sub.set_defaults(parser=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Refused by the subcommand's own parser, so the usage shown is the subcommand's.
        own: argparse.ArgumentParser = getattr(args, "parser", parser)
        own.error(f"unrecognized arguments: {' '.join(extra)}")
    status: int = args.func(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
