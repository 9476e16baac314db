"""One rate budget for every process that uses a token, kept in Redis.

Each process's :class:`~qase_async.SlidingWindowLimiter` believes it has the whole
budget, so CI shards, pytest-xdist workers or a fleet of bots sharing one token draw
429s and the minute-long lock-out. :class:`RedisLimiter` keeps the same sliding window
of slots, but in Redis, so that all of them share it::

    from qase_async import QaseClient
    from qase_async.redis import RedisLimiter

    async with QaseClient(limiter=RedisLimiter("redis://127.0.0.1:6379/0", token=TOKEN)):
        ...

or, with no code change, ``QASE_RATE_LIMIT_REDIS_URL=redis://127.0.0.1:6379/0`` in the
environment of every process (see :meth:`RedisLimiter.from_env`). Needs the extra:
``pip install 'qase-async[redis]'``.

The safety argument is the local limiter's, on Redis's clock. A sorted set per token
holds one member per slot in use, scored by the time it becomes free: a lease expiry
while the request is in flight (so a crashed process's slots come back), then the
release time plus the window once the response is in. Acquire and release are Lua
scripts, atomic on the server and timed by Redis ``TIME``, never by the workers'
clocks. A request reaches the service before its release runs; the next user of the
slot is admitted a window later. So at most ``N`` requests reach the service in any
window, whatever the processes, and a slot idles no longer than the window.

Lanes and the reserve (see :mod:`qase_async._ratelimit`) hold across processes too:
each slot in use is mirrored in a sorted set of its lane's slots, and each waiting
request holds a ticket in its lane's queue, scored by arrival. The acquire
script replays the one lane policy over the queues' heads and grants only the tickets it
picks for the free slots, all in one atomic step; the other processes' waiters are
polled, one per lane per process. A ticket whose process stopped asking (crashed, gave
up) drops out once its sleep and a grace have passed, so it delays others a few seconds
at most. Every process should use the same ``RateLimit`` (the reserve included).

The cool-down after a 429 and an adopted ``X-RateLimit-Limit`` are shared through keys
of their own. Keys are namespaced by a SHA-256 of the token, never the token.

When Redis is unreachable, the limiter either raises :class:`RedisUnavailableError`
(``on_redis_error="raise"``) or, by default, falls back to a local
:class:`~qase_async.SlidingWindowLimiter` at a share of the budget (by default one over
the number of processes seen in Redis during the last two windows): it first waits one
window, since it cannot know what the others have sent, and logs a warning. It probes
Redis every ``probe_interval`` seconds; when Redis answers again, every process writes
its recent local requests into Redis and keeps to its share until a common resume time,
so a restarted (empty) Redis knows the whole window before anyone relies on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import random
import time
import uuid
from collections.abc import Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

import attrs
from aiolimiter import AsyncLimiter

from ._ratelimit import (
    _RANK,
    LANES,
    MAX_ADOPTED_LIMIT,
    SAFETY_MARGIN,
    Permit,
    Priority,
    RateLimit,
    SlidingWindowLimiter,
    _header_int,
    check_pause,
    gate_error,
)
from .exceptions import ConfigurationError, RedisUnavailableError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

__all__ = [
    "FALLBACK_ENV",
    "REDIS_URL_ENV",
    "RedisLimiter",
    "RedisUnavailableError",
]

REDIS_URL_ENV: Final = "QASE_RATE_LIMIT_REDIS_URL"
"""The environment variable that makes every new ``QaseClient`` share its budget through Redis."""
FALLBACK_ENV: Final = "QASE_RATE_LIMIT_REDIS_FALLBACK"
"""``auto`` (default), a share such as ``0.25``, or ``raise``."""
DEFAULT_FALLBACK_SHARE: Final = 0.25
"""The fallback share when no process was ever seen in Redis (it is down from the start)."""
DEFAULT_TIMEOUT: Final = 1.0
LEASE_EXTRA: Final = 120.0
"""Seconds beyond the window after which a slot whose release never came is reclaimed."""
LIMIT_TTL_MS: Final = 86_400_000
_JITTER: Final = 0.002
_INSTALL_HINT: Final = "the Redis limiter needs redis-py: pip install 'qase-async[redis]'"

logger: Final = logging.getLogger("qase_async.redis")

Backend = Literal["redis", "fallback", "recovering"]


def _lua(name: str) -> str:
    """A Lua script shipped with the package (``qase_async/_lua/<name>.lua``)."""
    return files("qase_async").joinpath("_lua", f"{name}.lua").read_text(encoding="utf-8")


_KEY_NAMES: Final = (
    "slots",
    "foreign",
    "cooldown",
    "limit",
    "seq",
    "resume",
    "peers",
    "held:interactive",
    "held:normal",
    "held:bulk",
    "queue:interactive",
    "queue:normal",
    "queue:bulk",
    "alive",
)
"""The keys of one token's budget, in the order ``acquire.lua`` reads them as ``KEYS``."""
_ACQUIRE: Final = _lua("acquire")
_RELEASE: Final = _lua("release")
_REGISTER: Final = _lua("register")

# KEYS: cooldown; ARGV: seconds
_PAUSE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local seconds = tonumber(ARGV[1])
local resume = now + seconds
if resume > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.6f', resume), 'PX',
             math.ceil(seconds * 1000) + 1000)
end
return 0
"""


@attrs.define(slots=True, eq=False)
class _Grant(Permit):
    """A permit with what its release needs to know."""

    redis_id: str | None = None
    ours: int = 0
    seq: int = 0
    local: Permit | None = None
    owner: SlidingWindowLimiter | None = None
    released_at: float | None = None


def _redis_module() -> Any:
    try:
        import redis.asyncio
        import redis.exceptions
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from error
    return redis


def _redacted(url: str) -> str:
    """A Redis URL without credentials, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or parts.path or "?"
    port = f":{parts.port}" if parts.port else ""
    db = parts.path if parts.hostname else ""
    return f"{parts.scheme}://{host}{port}{db}"


def token_key(token: str) -> str:
    """The hash that names a token's keys (the token itself never reaches Redis)."""
    return hashlib.sha256(b"qase-async\0" + token.encode()).hexdigest()[:32]


class RedisLimiter:
    """A :class:`~qase_async.Limiter` whose sliding window lives in Redis.

    Every process that uses the same token and Redis shares one budget: at most
    ``requests`` in any window of ``per`` seconds across all of them.

    Args:
        url: A ``redis://`` (or ``rediss://``, ``unix://``) URL. Alternatively pass ``client``.
        token: The API token whose budget this is; only its SHA-256 is used (as the key
            namespace). Defaults to the ``QASE_API_TOKEN`` environment variable.
        rate_limit: The budget shared by all processes (default 600 per 60 s, adopting
            the service's ``X-RateLimit-Limit``, which is then shared too). ``burst``
            paces each process on its own.
        client: A ``redis.asyncio.Redis`` to use instead of ``url``; it is not closed.
        namespace: Prefix of the keys.
        on_redis_error: ``"fallback"`` (default): when Redis fails or times out, send
            through a local limiter at ``fallback_share`` of the budget and log a warning;
            ``"raise"``: raise :class:`RedisUnavailableError` from ``acquire``.
        fallback_share: The share of the budget one process may use while Redis is down.
            ``None`` (default): one over the number of processes seen in Redis in the last
            two windows (0.25 if Redis was never reached). Use ``1 / N`` for ``N`` shards.
        timeout: Seconds for each Redis command and connection attempt.
        probe_interval: Seconds between attempts to reach Redis again while falling back
            (default: an eighth of the window, at most 5).
        lease: Seconds after which the slot of a request whose release never reached
            Redis (a crashed process) is reclaimed (default: the window plus 120).

    Raises:
        ImportError: redis-py is not installed.
        ConfigurationError: Bad arguments or no token.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        token: str | None = None,
        rate_limit: RateLimit | None = None,
        client: Redis | None = None,
        namespace: str = "qase_async",
        on_redis_error: Literal["fallback", "raise"] = "fallback",
        fallback_share: float | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        probe_interval: float | None = None,
        lease: float | None = None,
    ) -> None:
        redis = _redis_module()
        if (url is None) == (client is None):
            raise ConfigurationError("pass a Redis url or a client, not both or neither")
        token = token if token is not None else os.environ.get("QASE_API_TOKEN")
        if not token or not token.strip():
            raise ConfigurationError("the Redis limiter needs the API token (to name its keys)")
        if on_redis_error not in ("fallback", "raise"):
            raise ConfigurationError("on_redis_error must be 'fallback' or 'raise'")
        if fallback_share is not None and not 0 < fallback_share <= 1:
            raise ConfigurationError("fallback_share must be in (0, 1]")
        if not (math.isfinite(timeout) and timeout > 0):
            raise ConfigurationError("timeout must be a positive number of seconds")
        self.rate_limit = rate_limit or RateLimit()
        self._per = float(self.rate_limit.per)
        self._limit = self.rate_limit.requests
        self._follow = self.rate_limit.follow_server
        self._lease = lease if lease is not None else self._per + LEASE_EXTRA
        if not self._lease > self._per:
            raise ConfigurationError("lease must be longer than the window")
        self._probe = probe_interval if probe_interval is not None else min(5.0, self._per / 8)
        self._resume_delay = 1.5 * self._probe + 0.1
        self._ttl_ms = str(math.ceil((self._lease + self._per + 60) * 1000))
        self._on_error = on_redis_error
        self._share = fallback_share
        self._where = _redacted(url) if url is not None else "the given Redis client"
        self._owns_client = client is None
        if client is None:
            assert url is not None
            try:
                client = redis.asyncio.Redis.from_url(
                    url,
                    socket_timeout=timeout,
                    socket_connect_timeout=timeout,
                    # Fail fast: an outage switches to the fallback, not to long retries.
                    retry=redis.asyncio.retry.Retry(redis.backoff.NoBackoff(), 1),
                    decode_responses=True,
                )
            except ValueError as error:
                raise ConfigurationError(f"bad Redis URL {self._where}: {error}") from None
        self._redis: Redis = client
        self._errors: tuple[type[BaseException], ...] = (
            redis.exceptions.RedisError,
            OSError,
            TimeoutError,
        )
        tag = f"{namespace}:{{{token_key(token.strip())}}}"
        self._keys = {name: f"{tag}:{name}" for name in _KEY_NAMES}
        self._acquire_script: AsyncScript = client.register_script(_ACQUIRE)
        self._release_script: AsyncScript = client.register_script(_RELEASE)
        self._pause_script: AsyncScript = client.register_script(_PAUSE)
        self._register_script: AsyncScript = client.register_script(_REGISTER)
        self._process_id = uuid.uuid4().hex
        # One waiter per lane and process asks Redis at a time (first come, first served
        # within the lane here); Redis orders the lanes and the processes.
        self._locks = {lane: asyncio.Lock() for lane in LANES}
        self._grace = 2 * timeout + 1.0  # a ticket outlives its owner's sleep by this
        self._poll = min(0.05, self._per / 20)
        self._in_use = 0
        self._gate_moved = asyncio.Event()  # set (and replaced) by every pause()
        self._tasks: set[asyncio.Task[None]] = set()
        self._backend: Backend = "redis"
        self._local: SlidingWindowLimiter | None = None
        self._local_log: list[_Grant] = []  # locally admitted grants still in their window
        self._unreleased: list[tuple[_Grant, bool]] = []
        self._in_flight: set[_Grant] = set()
        self._settled = asyncio.Event()  # set when no grant outside the local limiter flies
        self._settled.set()
        self._next_probe = 0.0
        self._resume_at = 0.0
        self._cooldown_until = 0.0
        self._refuse_until = 0.0
        self._peers = 0
        self._rng = random.Random()
        self._pacer = (
            AsyncLimiter(
                self.rate_limit.burst,
                self.rate_limit.burst * self.rate_limit.per / self.rate_limit.requests,
            )
            if self.rate_limit.burst is not None
            else None
        )
        self.fallbacks = 0
        """How many times the limiter fell back to the local one (for monitoring)."""

    @classmethod
    def from_env(
        cls, *, token: str | None = None, rate_limit: RateLimit | None = None
    ) -> RedisLimiter | None:
        """The limiter the environment asks for, or ``None`` if it asks for none.

        ``QASE_RATE_LIMIT_REDIS_URL`` names the Redis server; ``QASE_RATE_LIMIT_REDIS_FALLBACK``
        is ``auto`` (default), a share such as ``0.25``, or ``raise``. Every
        :class:`~qase_async.QaseClient` created without ``limiter=`` calls this.
        """
        url = os.environ.get(REDIS_URL_ENV, "").strip()
        if not url:
            return None
        fallback = os.environ.get(FALLBACK_ENV, "auto").strip().lower() or "auto"
        share: float | None = None
        on_error: Literal["fallback", "raise"] = "fallback"
        if fallback == "raise":
            on_error = "raise"
        elif fallback != "auto":
            try:
                share = float(fallback)
            except ValueError:
                raise ConfigurationError(
                    f"{FALLBACK_ENV} must be 'auto', 'raise' or a share such as 0.25"
                ) from None
        return cls(
            url, token=token, rate_limit=rate_limit, on_redis_error=on_error, fallback_share=share
        )

    def __repr__(self) -> str:
        return (
            f"RedisLimiter(limit={self._limit}, per={self._per}, backend={self._backend!r}, "
            f"redis={self._where!r})"
        )

    @property
    def limit(self) -> int:
        """The requests allowed per window for all processes together, as last known here."""
        return self._limit

    @property
    def backend(self) -> Backend:
        """``"redis"``; ``"fallback"`` while Redis is unreachable; ``"recovering"`` while
        Redis is back but the processes still keep to their local shares."""
        return self._backend

    @property
    def in_use(self) -> int:
        """Slots of the shared window in use (in flight or cooling down), as last seen."""
        if self._backend != "redis" and self._local is not None:
            return self._local.in_use
        return self._in_use

    async def acquire(self, *, priority: Priority = "normal", max_wait: float = math.inf) -> Permit:
        """Wait for a slot in the shared window (and the shared cool-down) and take it.

        Args:
            priority: The request's lane, ordered across every process (see
                :data:`~qase_async.LANES`); bulk never takes the shared reserve.
            max_wait: The longest a cool-down (this process's, or the one shared in
                Redis after another process's 429) may hold the call.

        Raises:
            RedisUnavailableError: Redis failed and ``on_redis_error="raise"``.
            RateLimitedError: This process's cool-down gate or the shared one would hold
                the call longer than ``max_wait``, or this process's was closed with
                ``refuse=True``.
        """
        rank = _RANK[priority]
        start = time.monotonic()
        self._check_gate(max_wait)
        if self._pacer is not None:
            await self._pacer.acquire()
        ticket = uuid.uuid4().hex
        async with self._locks[priority]:
            try:
                return await self._acquire_in_lane(priority, rank, start, ticket, max_wait)
            except BaseException:
                self._spawn(self._drop_ticket(ticket))
                raise

    async def _acquire_in_lane(
        self, priority: Priority, rank: int, start: float, ticket: str, max_wait: float
    ) -> Permit:
        while True:
            # The local cool-down holds whatever happens to Redis.
            pause = self._check_gate(max_wait)
            if pause > 0:
                # Wake early if the gate moves: a refusing pause fails us at once.
                moved = self._gate_moved
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(pause):
                        await moved.wait()
                continue
            if self._backend == "redis":
                try:
                    grant = await self._acquire_redis(start, ticket, rank, max_wait)
                except self._errors as error:
                    self._fall_back(error)
                    continue
                if grant is not None:
                    return grant
                continue
            if self._backend == "recovering" and time.monotonic() >= self._resume_at:
                self._backend = "redis"
                logger.warning("Redis at %s is back; the rate limit is shared again", self._where)
                continue
            if self._backend == "fallback" and time.monotonic() >= self._next_probe:
                await self._try_recover()
                continue
            local = await self._acquire_local(priority)
            if local is not None:
                return await self._local_grant(local, start, rank)

    def release(
        self, permit: Permit, *, headers: Mapping[str, str] | None = None, sent: bool = True
    ) -> None:
        """Give the slot back: it is free ``per`` seconds after now (at once if never sent)."""
        assert isinstance(permit, _Grant), "release() takes the permits acquire() returned"
        if headers is not None and sent and self._follow:
            server_limit = _header_int(headers, "x-ratelimit-limit")
            if server_limit is not None and server_limit >= 1:
                self._limit = min(server_limit, MAX_ADOPTED_LIMIT)
        permit.released_at = time.monotonic()
        if permit.local is not None:
            assert permit.owner is not None
            permit.owner.release(permit.local, headers=headers, sent=sent)
        if permit.redis_id is not None:
            self._spawn(self._release_redis(permit, headers, sent))
        self._in_flight.discard(permit)
        if permit.owner is not self._local or self._local is None:
            if self._backend == "fallback" and self._local is not None:
                # Our requests admitted by Redis may still be counted by the service:
                # local admission starts a full window after the last of them.
                self._local.pause(self._per + SAFETY_MARGIN)
            self._update_settled()

    def pause(self, seconds: float, *, refuse: bool = False) -> None:
        """Grant no permit, here or in any other process, for ``seconds``.

        With ``refuse``, every ``acquire`` of this process raises
        :class:`~qase_async.RateLimitedError` until the pause ends (other processes wait
        it out: the shared key lasts ``seconds``, which the client caps at its
        ``RetryPolicy.max_wait``).
        """
        seconds = check_pause(seconds)
        until = time.monotonic() + seconds
        self._cooldown_until = max(self._cooldown_until, until)
        if refuse:
            self._refuse_until = max(self._refuse_until, until)
        self._gate_moved.set()
        self._gate_moved = asyncio.Event()
        if seconds > 0:
            self._spawn(self._pause_redis(seconds))

    def _check_gate(self, max_wait: float) -> float:
        """Seconds the local cool-down has left; raises when it may not be waited out."""
        now = time.monotonic()
        remaining = self._cooldown_until - now
        if remaining > 0 and (now < self._refuse_until or remaining > max_wait):
            raise gate_error(remaining, refused=now < self._refuse_until)
        return remaining

    async def aclose(self) -> None:
        """Wait for pending releases to reach Redis (briefly), then close our connection."""
        if self._tasks:
            _, pending = await asyncio.wait(list(self._tasks), timeout=5.0)
            for task in pending:  # each command has its own timeout; this is a backstop
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._owns_client:
            await self._redis.aclose()

    async def _take_slot(self, permit_id: str, rank: int, *, admitted: bool) -> Any:
        """Run the acquire script; ``admitted`` records a slot the local share already gave."""
        result = await self._acquire_script(
            keys=self._key_list(*_KEY_NAMES),
            args=[
                permit_id,
                self._limit,
                int(self._follow),
                self._lease,
                self._per,
                int(admitted),
                self._process_id,
                self._ttl_ms,
                rank,
                self.rate_limit.reserve,
                self._grace,
                self._poll,
            ],
        )
        self._in_use = int(result[-1])
        return result

    async def _drop_ticket(self, ticket: str) -> None:
        """Take a request that stopped waiting out of the lanes' queues (best effort)."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for name in ("queue:interactive", "queue:normal", "queue:bulk", "alive"):
                    pipe.zrem(self._keys[name], ticket)
                await pipe.execute()
        except self._errors as error:  # its ticket expires by itself
            logger.debug("ticket not dropped in Redis (%s)", type(error).__name__)

    async def _acquire_redis(
        self, start: float, permit_id: str, rank: int, max_wait: float
    ) -> _Grant | None:
        result = await self._take_slot(permit_id, rank, admitted=False)
        self._peers = int(result[2])
        if int(result[0]) == 1:
            now = time.monotonic()
            grant = _Grant(
                sent_at=now,
                waited=now - start,
                priority=LANES[rank],
                redis_id=permit_id,
                ours=int(result[3]),
                seq=int(result[4]),
            )
            self._in_flight.add(grant)
            self._update_settled()
            return grant
        hint = float(result[1])
        cooldown = float(result[3])
        if cooldown > max_wait:  # another process's 429: its cool-down is the gate too
            raise gate_error(cooldown, refused=False)
        # A slot still in flight frees no sooner than a window after its release, but a
        # request that never went out frees its slot at once: poll for that.
        wait = min(self._per / 20, 0.25) if hint < 0 else min(hint, max(1.0, self._per / 20))
        await asyncio.sleep(wait + self._rng.uniform(0, _JITTER))
        return None

    async def _acquire_local(self, priority: Priority) -> Permit | None:
        """A slot of the local share, or ``None`` when it is time to look at Redis again."""
        assert self._local is not None
        deadline = self._resume_at if self._backend == "recovering" else self._next_probe
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                await self._settled.wait()
                return await self._local.acquire(priority=priority)
        except TimeoutError:
            return None

    async def _local_grant(self, local: Permit, start: float, rank: int) -> _Grant:
        now = time.monotonic()
        grant = _Grant(
            sent_at=now,
            waited=now - start,
            priority=LANES[rank],
            local=local,
            owner=self._local,
        )
        if self._backend == "recovering":
            # Admitted by our share, but counted in Redis so that nobody relies on an
            # incomplete window after the resume time.
            permit_id = uuid.uuid4().hex
            try:
                result = await self._take_slot(permit_id, rank, admitted=True)
            except self._errors as error:
                self._fall_back(error)
            else:
                grant.redis_id = permit_id
                grant.ours, grant.seq = int(result[3]), int(result[4])
        self._local_log.append(grant)
        self._in_flight.add(grant)
        return grant

    def _fall_back(self, error: BaseException) -> None:
        if self._on_error == "raise":
            raise RedisUnavailableError(
                f"Redis at {self._where} is unavailable ({type(error).__name__}: {error})"
            ) from error
        coming_from = self._backend
        if coming_from == "fallback":
            return  # another lane's waiter saw the outage first
        self._backend = "fallback"
        self._next_probe = time.monotonic() + self._probe
        if coming_from == "recovering" and self._local is not None:
            # Same local share; but others may already rely on Redis: a window apart.
            self._local.pause(self._per + SAFETY_MARGIN)
            return
        self.fallbacks += 1
        share = self._share
        if share is None:
            share = 1 / self._peers if self._peers > 0 else DEFAULT_FALLBACK_SHARE
        requests = max(1, math.floor(self._limit * share))
        self._local = SlidingWindowLimiter(
            RateLimit(
                requests,
                per=self._per,
                follow_server=False,
                reserve=self.rate_limit.reserve,
            )
        )
        # What the others sent in the last window is unknown: start a window from now.
        self._local.pause(self._per + SAFETY_MARGIN)
        self._update_settled()
        logger.warning(
            "Redis at %s is unavailable (%s); falling back to a local limit of %d per %gs "
            "after one window",
            self._where,
            type(error).__name__,
            requests,
            self._per,
        )

    async def _try_recover(self) -> None:
        """Write our local requests into Redis; resume sharing at the common resume time."""
        now = time.monotonic()
        self._next_probe = now + self._probe
        self._local_log = [
            g
            for g in self._local_log
            if g.released_at is None or g.released_at + self._per + SAFETY_MARGIN > now
        ]
        held: list[_Grant] = []
        args: list[Any] = []
        lanes: list[Any] = []
        pairs: list[Any] = []
        for grant in self._local_log:
            if grant.redis_id is not None:
                continue
            lane = _RANK[grant.priority]
            if grant.released_at is None:
                held.append(grant)
                args.append(uuid.uuid4().hex)
                lanes += [args[-1], lane]
            else:
                remaining = grant.released_at + self._per + SAFETY_MARGIN - now
                pairs += [uuid.uuid4().hex, lane, f"{remaining:.6f}"]
        try:
            result = await self._register_script(
                keys=self._key_list(
                    "slots", "resume", "peers", "held:interactive", "held:normal", "held:bulk"
                ),
                args=[
                    self._resume_delay,
                    self._lease,
                    self._ttl_ms,
                    self._process_id,
                    self._per,
                    len(held),
                    *lanes,
                    *pairs,
                ],
            )
        except self._errors as error:
            logger.debug("Redis at %s still unavailable: %s", self._where, type(error).__name__)
            return
        for grant, permit_id in zip(held, args, strict=True):
            grant.redis_id = permit_id
            if grant.released_at is not None:  # released while the script ran
                self._spawn(self._release_redis(grant, None, True))
        # Releases that failed during the outage: free those slots a window from now
        # rather than at the end of their lease.
        unreleased, self._unreleased = self._unreleased, []
        for grant, sent in unreleased:
            self._spawn(self._release_redis(grant, None, sent, late=True))
        self._peers = int(result[1])
        self._resume_at = time.monotonic() + float(result[0])
        self._backend = "recovering"
        logger.info(
            "Redis at %s answers again; sharing resumes in %.1fs", self._where, float(result[0])
        )

    async def _release_redis(
        self, grant: _Grant, headers: Mapping[str, str] | None, sent: bool, *, late: bool = False
    ) -> None:
        assert grant.redis_id is not None
        ago = 0.0
        if late and grant.released_at is not None:
            ago = max(0.0, time.monotonic() - grant.released_at)
        server_limit = remaining = None
        if headers is not None:
            server_limit = _header_int(headers, "x-ratelimit-limit")
            remaining = _header_int(headers, "x-ratelimit-remaining")
        try:
            await self._release_script(
                keys=self._key_list(
                    "slots",
                    "foreign",
                    "limit",
                    "seq",
                    "held:interactive",
                    "held:normal",
                    "held:bulk",
                ),
                args=[
                    grant.redis_id,
                    int(sent),
                    self._per + SAFETY_MARGIN,
                    server_limit or 0,
                    -1 if remaining is None else remaining,
                    int(self._follow),
                    grant.ours,
                    grant.seq,
                    self._limit,
                    self._ttl_ms,
                    LIMIT_TTL_MS,
                    MAX_ADOPTED_LIMIT,
                    f"{ago:.6f}",
                    int(late),
                ],
            )
        except self._errors as error:
            # The slot stays taken until Redis is back (or its lease runs out): safe.
            logger.debug("release not recorded in Redis (%s)", type(error).__name__)
            self._unreleased.append((grant, sent))

    async def _pause_redis(self, seconds: float) -> None:
        try:
            await self._pause_script(keys=self._key_list("cooldown"), args=[f"{seconds:.6f}"])
        except self._errors as error:
            logger.debug("cool-down not shared through Redis (%s)", type(error).__name__)

    def _key_list(self, *names: str) -> list[str]:
        return [self._keys[name] for name in names]

    def _spawn(self, coro: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:
            coro.close()  # no loop: the lease will reclaim the slot
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _update_settled(self) -> None:
        """Local admission waits while a request it did not admit is in flight."""
        if any(g.owner is not self._local or self._local is None for g in self._in_flight):
            self._settled.clear()
        else:
            self._settled.set()
