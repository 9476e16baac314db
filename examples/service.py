"""A web service that holds one QaseClient for its whole life (an ASGI app under uvicorn).

    python examples/service.py --fake --demo     # start, send three requests, stop
    python examples/service.py --fake --port 8000
    curl -X POST localhost:8000/results -d '{"title": "Log in", "status": "passed"}'

The client is opened when the app starts (the ASGI lifespan) and closed when it stops, so
every request shares its connection pool, its rate limiter and its 429 cool-down: however
many requests the service serves at once, it never sends Qase more than the token allows.
Opening a client per request would give each one a fresh limiter and defeat that.

The app is plain ASGI so that it runs with the ``testing`` extra alone (uvicorn); the
docs show the same pattern with FastAPI's ``lifespan``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import Callable
from typing import Any

import httpx
from _connect import arguments, connect, seed, uses_fake

from qase_async import QaseClient, QaseError
from qase_async.models import ResultCreateV2, ResultExecution, RunCreate

Scope = dict[str, Any]


class ResultsService:
    """Receives test results over HTTP and forwards them into one Qase run."""

    def __init__(self, make_client: Callable[[], QaseClient], code: str, *, fresh: bool) -> None:
        self.make_client = make_client
        self.code = code
        self.fresh = fresh
        self.qase: QaseClient | None = None
        self.run_id = 0

    async def startup(self) -> None:
        self.qase = self.make_client()
        if self.fresh:
            await seed(self.qase, self.code)
        self.run_id = await self.qase.runs.create(self.code, RunCreate(title="Service run"))

    async def shutdown(self) -> None:
        if self.qase is not None:
            await self.qase.runs.complete(self.code, self.run_id)
            await self.qase.aclose()

    async def handle(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        assert self.qase is not None
        if method == "POST" and path == "/results":
            try:
                data = json.loads(body)
                result = ResultCreateV2(
                    title=str(data["title"]), execution=ResultExecution(status=data["status"])
                )
            except (ValueError, KeyError, TypeError):
                return 400, {"error": 'expected {"title": ..., "status": ...}'}
            await self.qase.v2.results.create(self.code, self.run_id, result)
            return 201, {"run_id": self.run_id, "title": result.title}
        if method == "GET" and path == "/run":
            run = await self.qase.runs.get(self.code, self.run_id)
            stats = run.stats
            return 200, {
                "run_id": run.id,
                "passed": stats.passed if stats else 0,
                "failed": stats.failed if stats else 0,
            }
        return 404, {"error": "not found"}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self.startup()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.shutdown()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            status, answer = await self.handle(scope["method"], scope["path"], body)
        except QaseError as error:  # Qase said no, or could not be reached: say so
            status, answer = 502, {"error": str(error)}
        payload = json.dumps(answer).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


async def demo(server: Any, origin: str) -> None:
    """Be a user of the service for a moment, then stop it."""
    for _ in range(1000):  # at most 10 s
        if server.started:
            break
        await asyncio.sleep(0.01)
    else:
        raise RuntimeError("the service did not start")
    async with httpx.AsyncClient(base_url=origin, timeout=10) as http:
        for title, status in [("Log in", "passed"), ("Search", "failed")]:
            response = await http.post("/results", json={"title": title, "status": status})
            print(f"POST /results {title} -> {response.status_code} {response.json()}")
        response = await http.get("/run")
        print(f"GET /run -> {response.status_code} {response.json()}")
    server.should_exit = True


async def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--demo", action="store_true", help="send three requests, then stop")
    args = parser.parse_args()
    try:
        import uvicorn
    except ImportError:
        print("this example needs uvicorn: pip install 'qase-async[testing]'", file=sys.stderr)
        return 2

    app = ResultsService(lambda: connect(args), args.project, fresh=uses_fake(args))
    sock = socket.socket()
    sock.bind(("127.0.0.1", args.port))
    origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    print(f"serving on {origin}", flush=True)
    tasks = [server.serve(sockets=[sock])]
    if args.demo:
        tasks.append(demo(server, origin))
    await asyncio.gather(*tasks)
    sock.close()
    print("stopped: run completed, client closed")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
