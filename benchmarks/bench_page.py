"""CPU to fetch and decode big pages: ours against the official client (qase-api-client).

Two parts, both measured as this process's CPU time, the median of interleaved rounds
(the best round is shown beside it):

1. Fetch: ``client.cases.list("DEMO", limit=100)`` against the official client's
   ``CasesApi.get_cases("DEMO", limit=100)`` (sync, urllib3, pydantic), both served the same
   page of 100 realistic test cases by one loopback server in another process
   (goal: ours / official <= 0.5, with no extras installed as with them).
2. Decode only (no network): the same response bytes decoded by each client: a page of
   100 cases, 100 runs and 100 results (goal: ours / official <= 0.5). Ours is
   the client's JSON parser (orjson, a dependency on CPython, else ``json``) + the
   converter into ``Page[...]``; the official is the response model's
   ``from_json``.

Needs ``pip install qase-api-client`` (bench only). Run:
``python benchmarks/bench_page.py [--quick] [--rounds N]``. Which JSON parser and whether
sniffio is installed are printed first: run it once in an environment with no extras to
see what a default install costs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
from collections.abc import Callable
from typing import Any

import _payloads
from _common import ServerConfig, cpu, median, page_result, serve, summary, table

from qase_async import QaseClient, RateLimit
from qase_async._converter import structure
from qase_async._http import json_loads
from qase_async._pagination import Page
from qase_async.models import Result, Run, TestCase

FETCH_GOAL = 0.5
DECODE_GOAL = 0.5
PARSER = getattr(json_loads, "__module__", "json").split(".")[0]
SETUP = f"{PARSER}, {'with' if importlib.util.find_spec('sniffio') else 'no'} sniffio"


def _official() -> Any:
    try:
        from qase.api_client_v1 import ApiClient, Configuration
        from qase.api_client_v1.api.cases_api import CasesApi
        from qase.api_client_v1.models.result_list_response import ResultListResponse
        from qase.api_client_v1.models.run_list_response import RunListResponse
        from qase.api_client_v1.models.test_case_list_response import TestCaseListResponse
    except ImportError:
        return None
    return {
        "ApiClient": ApiClient,
        "Configuration": Configuration,
        "CasesApi": CasesApi,
        "cases": TestCaseListResponse,
        "runs": RunListResponse,
        "results": ResultListResponse,
    }


def _time(fn: Callable[[], object], reps: int) -> float:
    # Start every subject from a clean heap so one's garbage is not collected on the
    # other's time; collections the subject triggers itself still count.
    gc.collect()
    start = cpu()
    for _ in range(reps):
        fn()
    return (cpu() - start) / reps


def _interleave(
    subjects: dict[str, Callable[[], object]], reps: int, rounds: int
) -> dict[str, list[float]]:
    """Per subject, its CPU seconds per call in each round (subjects alternate order)."""
    for fn in subjects.values():  # warm up: generated code, pools, caches
        fn()
    per: dict[str, list[float]] = {name: [] for name in subjects}
    names = list(subjects)
    for i in range(rounds):
        for name in names if i % 2 == 0 else names[::-1]:
            per[name].append(_time(subjects[name], reps))
    return per


def _check_official_accepts(official: Any, payloads: dict[str, bytes]) -> dict[str, str]:
    """The official client is strict; report any realistic payload it refuses."""
    problems: dict[str, str] = {}
    for kind, raw in payloads.items():
        try:
            official[kind].from_json(raw)
        except Exception as error:  # report whatever it raises
            problems[kind] = f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"
    return problems


def fetch_part(official: Any, raw_cases: bytes, reps: int, rounds: int) -> float:
    config = ServerConfig(routes={"/v1/case/DEMO": raw_cases})
    with serve(config) as port, asyncio.Runner() as runner:
        base = f"http://127.0.0.1:{port}"
        client = QaseClient(token="t", base_url=base, rate_limit=RateLimit(10**6, per=60.0))
        cfg = official["Configuration"](host=f"{base}/v1")
        cfg.api_key["TokenAuth"] = "t"
        api_client = official["ApiClient"](cfg)
        cases_api = official["CasesApi"](api_client)
        try:
            # Not runner.run(): on Python 3.11 it swaps the SIGINT handler per call, and
            # swapping it back formats the repr of the finished task, result included.
            loop = runner.get_loop()

            def ours() -> object:
                page = loop.run_until_complete(client.cases.list("DEMO", limit=100))
                assert len(page.entities) == 100
                return page

            def theirs() -> object:
                response = cases_api.get_cases("DEMO", limit=100)
                assert len(response.result.entities) == 100
                return response

            per = _interleave(
                {"ours: cases.list()": ours, "official: CasesApi.get_cases()": theirs},
                reps,
                rounds,
            )
        finally:
            runner.run(client.aclose())
            api_client.rest_client.pool_manager.clear()
    ours_cpu = median(per["ours: cases.list()"])
    theirs_cpu = median(per["official: CasesApi.get_cases()"])
    ratio = ours_cpu / theirs_cpu
    best = min(per["ours: cases.list()"]) / min(per["official: CasesApi.get_cases()"])
    print(
        table(
            f"Fetch + decode one page of 100 test cases ({len(raw_cases) // 1024} KiB), client "
            f"CPU ms, median of {rounds} interleaved rounds x {reps} ({SETUP})",
            ("subject", "CPU ms/page", "best round", "vs official", "best vs best"),
            [
                (
                    "official: CasesApi.get_cases()",
                    f"{theirs_cpu * 1e3:.1f}",
                    f"{min(per['official: CasesApi.get_cases()']) * 1e3:.1f}",
                    "1.00",
                    "1.00",
                ),
                (
                    "ours: cases.list()",
                    f"{ours_cpu * 1e3:.1f}",
                    f"{min(per['ours: cases.list()']) * 1e3:.1f}",
                    f"{ratio:.2f}",
                    f"{best:.2f}",
                ),
            ],
        )
    )
    return ratio


def decode_part(
    official: Any, payloads: dict[str, bytes], models: dict[str, Any], reps: int, rounds: int
) -> dict[str, float]:
    rows = []
    ratios: dict[str, float] = {}
    for kind, raw in payloads.items():
        model = models[kind]
        parsed = page_result(raw)
        subjects: dict[str, Callable[[], object]] = {
            "ours": lambda raw=raw, model=model: structure(page_result(raw), Page[model]),
            "ours (dict->model only)": (
                lambda data=parsed, model=model: structure(data, Page[model])
            ),
            "parse only": lambda raw=raw: json_loads(raw),
        }
        if official is not None:
            subjects["official"] = lambda raw=raw, cls=official[kind]: cls.from_json(raw)
        medians = {name: median(v) for name, v in _interleave(subjects, reps, rounds).items()}
        ours_cpu = medians["ours"]
        theirs_cpu = medians.get("official")
        ratio = ours_cpu / theirs_cpu if theirs_cpu else float("nan")
        ratios[kind] = ratio
        rows.append(
            (
                f"100 {kind} ({len(raw) // 1024} KiB)",
                f"{medians['parse only'] * 1e3:.2f}",
                f"{medians['ours (dict->model only)'] * 1e3:.2f}",
                f"{ours_cpu * 1e3:.2f}",
                f"{theirs_cpu * 1e3:.2f}" if theirs_cpu else "n/a",
                f"{ratio:.2f}",
            )
        )
    print(
        table(
            f"Decode only (bytes -> models, no network), CPU ms, median of {rounds} interleaved "
            f"rounds x {reps}",
            (
                "payload",
                f"{PARSER} parse",
                "ours: convert",
                "ours: total",
                "official",
                "ours/official",
            ),
            rows,
        )
    )
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 31, quick 5)")
    args = parser.parse_args()
    reps, rounds = (3, 5) if args.quick else (5, 31)
    rounds = args.rounds or rounds
    print(f"JSON parser: {PARSER}; sniffio: {'installed' if 'with' in SETUP else 'absent'}")
    official = _official()
    payloads = {
        "cases": _payloads.encode(_payloads.cases_page()),
        "runs": _payloads.encode(_payloads.runs_page()),
        "results": _payloads.encode(_payloads.results_page()),
    }
    models = {"cases": TestCase, "runs": Run, "results": Result}
    if official is None:
        print(
            "qase-api-client is not installed: only our own figures are shown "
            "(pip install qase-api-client)"
        )
    else:
        problems = _check_official_accepts(official, payloads)
        for kind, problem in problems.items():
            print(f"FINDING: the official client cannot decode the page of {kind}: {problem}")
            payloads.pop(kind)
        if "cases" in payloads:
            ratio = fetch_part(official, payloads["cases"], reps, rounds)
            print(f"\nratio ours/official (fetch 100 cases) = {ratio:.2f} (goal <= {FETCH_GOAL})\n")
            summary(
                "page",
                f"fetch 100 cases CPU / official ({SETUP})",
                ratio,
                f"<= {FETCH_GOAL}",
                ratio <= FETCH_GOAL,
            )
    ratios = decode_part(official, payloads, models, reps, rounds)
    for kind, ratio in ratios.items():
        if ratio == ratio:  # not NaN: there was an official figure
            summary(
                "decode",
                f"decode 100 {kind} CPU / official",
                ratio,
                f"<= {DECODE_GOAL}",
                ratio <= DECODE_GOAL,
            )


if __name__ == "__main__":
    main()
