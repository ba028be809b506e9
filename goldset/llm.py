"""The one home of litellm: concurrent, retried, timed, budgeted, cached model calls.

litellm is imported here only, lazily, and only after two environment
settings that make its import safe in a pull request's checkout:
``LITELLM_LOCAL_MODEL_COST_MAP=True`` (use the bundled price list; never
fetch one at import) and ``LITELLM_MODE=PRODUCTION`` (skip its ``.env``
loading, so a ``.env`` file committed in a PR cannot redirect the API base or
swap the key).

goldset does its own retrying (litellm's and the OpenAI SDK's are turned off)
so that a 429's ``Retry-After`` is honoured, 5xx and timeouts back off
exponentially, and every attempt is counted against ``--max-cost``.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from goldset.errors import UsageError

INSTALL_HINT = "pip install 'goldset[llm]'"
# Bumped when the meaning of a cached answer changes (message layout, parsing).
CACHE_VERSION = 1
# Keys of a variant's / judge's params that never reach the cache key: they
# change who pays or how long we wait, not the answer.
_UNKEYED = frozenset({"api_key", "api_key_env", "timeout"})
MAX_RETRY_AFTER = 120.0


def _prepare_env() -> None:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ["LITELLM_MODE"] = "PRODUCTION"
    # litellm's own telemetry / debug banner: off, we are a library here.
    os.environ.setdefault("LITELLM_LOG", "ERROR")


_LITELLM: Any = None


def litellm_module() -> Any:
    """Import litellm safely (see the module docstring), or explain how to install it."""
    global _LITELLM
    if _LITELLM is not None:
        return _LITELLM
    _prepare_env()
    try:
        import litellm
    except ImportError:
        raise UsageError(
            "litellm is not installed: model calls need the `llm` extra",
            hint=INSTALL_HINT,
        ) from None
    litellm.suppress_debug_info = True
    litellm.telemetry = False
    litellm.drop_params = False
    _LITELLM = litellm
    return litellm


def litellm_version() -> str | None:
    """The installed litellm version, without importing it."""
    from importlib import metadata

    try:
        return metadata.version("litellm")
    except metadata.PackageNotFoundError:
        return None


def require() -> str | None:
    """Fail early (exit 2) with the install hint when litellm is missing."""
    import importlib.util

    version = litellm_version()
    if version is None or importlib.util.find_spec("litellm") is None:
        raise UsageError(
            "litellm is not installed: model calls need the `llm` extra", hint=INSTALL_HINT
        )
    return version


@dataclass
class Call:
    """One chat completion to make. ``key`` addresses it in the cache."""

    model: str
    messages: list[dict[str, str]]
    params: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    tag: Any = None  # the caller's handle (example id, order, ...)


@dataclass
class Reply:
    text: str | None
    cost: float | None = None
    latency_ms: int | None = None
    tokens: dict[str, int | None] = field(default_factory=dict)
    error: str | None = None
    cached: bool = False
    attempts: int = 0

    def as_cache_entry(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "cost": self.cost,
            "latency_ms": self.latency_ms,
            "tokens": self.tokens,
        }


def call_key(
    model: str,
    params: dict[str, Any],
    messages: list[dict[str, str]],
    *,
    template_hash: str = "",
    scorer_version: str = "",
) -> str:
    """The content address of a call: everything that can change its answer."""
    body = {
        "v": CACHE_VERSION,
        "model": model,
        "params": {k: v for k, v in params.items() if k not in _UNKEYED},
        "messages": messages,
        "template": template_hash,
        "scorer": scorer_version,
    }
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class BudgetExceeded(Exception):
    pass


@dataclass
class Budget:
    """Stops launching calls before ``max_cost`` (USD, litellm's figures) is overspent.

    Each launch reserves the largest per-call cost seen so far; until one
    priced reply is back, only one call is in flight, so the worst overshoot
    is a single call's variance above the largest seen.
    """

    max_cost: float | None
    spent: float = 0.0
    reserved: float = 0.0
    largest: float | None = None
    stopped: bool = False
    unpriced_model: str | None = None

    def try_reserve(self, in_flight: int) -> float | None:
        """The amount reserved, or None when the call must not start (yet)."""
        if self.max_cost is None:
            return 0.0
        if self.stopped:
            raise BudgetExceeded
        if self.largest is None:
            return 0.0 if in_flight == 0 else None
        if self.spent + self.reserved + self.largest > self.max_cost:
            if in_flight == 0:
                self.stopped = True
                raise BudgetExceeded
            return None
        self.reserved += self.largest
        return self.largest

    def settle(self, reserved: float, cost: float | None, model: str) -> None:
        self.reserved -= reserved
        if cost is None:
            if self.max_cost is not None:
                self.unpriced_model = model
                self.stopped = True
            return
        self.spent += cost
        self.largest = cost if self.largest is None else max(self.largest, cost)


@dataclass
class Stats:
    calls: int = 0  # fresh calls finished (success or error)
    hits: int = 0
    errors: int = 0
    retries: int = 0
    cost_fresh: float = 0.0
    cost_cached: float = 0.0
    skipped: int = 0  # not started because of --max-cost
    total: int = 0
    started_at: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        return self.calls + self.hits

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "calls": self.calls,
            "cache_hits": self.hits,
            "errors": self.errors,
            "retries": self.retries,
            "skipped": self.skipped,
            "cost_fresh": round(self.cost_fresh, 10),
            "cost_cached": round(self.cost_cached, 10),
        }


@dataclass
class Settings:
    concurrency: int = 8
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_cost: float | None = None
    seed: int = 0
    workers: int = 1


OnReply = Callable[[Call, Reply], None]
Ticker = Callable[[Stats], None]


def _status(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def _retry_after(exc: BaseException) -> float | None:
    headers = None
    resp = getattr(exc, "response", None)
    if resp is not None:
        headers = getattr(resp, "headers", None)
    if headers is None:
        headers = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_timeout(exc: BaseException, litellm: Any) -> bool:
    return isinstance(exc, asyncio.TimeoutError | litellm.Timeout)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first[:300]}"


def _params_for_call(params: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in params.items() if k != "api_key_env"}
    env = params.get("api_key_env")
    if env:
        key = os.environ.get(str(env))
        if key is None:
            raise UsageError(f"params.api_key_env: the environment variable {env} is not set")
        out["api_key"] = key
    return out


async def _complete_once(litellm: Any, call: Call, settings: Settings) -> Reply:
    params = _params_for_call(call.params)
    timeout = float(params.pop("timeout", settings.timeout))
    start = time.monotonic()
    # asyncio's own deadline backs litellm's up: a provider that trickles
    # bytes must not hold a slot forever.
    resp = await asyncio.wait_for(
        litellm.acompletion(
            model=call.model,
            messages=call.messages,
            timeout=timeout,
            num_retries=0,
            max_retries=0,
            **params,
        ),
        timeout=timeout + 5.0,
    )
    latency = round((time.monotonic() - start) * 1000)
    text: str | None
    try:
        text = resp.choices[0].message.content
    except (AttributeError, IndexError, KeyError):
        text = None
    usage = getattr(resp, "usage", None)
    tokens = {
        "prompt": getattr(usage, "prompt_tokens", None),
        "completion": getattr(usage, "completion_tokens", None),
    }
    cost = None
    hidden = getattr(resp, "_hidden_params", None) or {}
    raw_cost = hidden.get("response_cost")
    if isinstance(raw_cost, int | float):
        cost = float(raw_cost)
    return Reply(
        text=text if text is not None else "", cost=cost, latency_ms=latency, tokens=tokens
    )


async def complete(call: Call, settings: Settings, stats: Stats, rng: random.Random) -> Reply:
    """One call with goldset's retry policy (429: Retry-After; 5xx / timeout: backoff)."""
    litellm = litellm_module()
    attempt = 0
    while True:
        attempt += 1
        try:
            reply = await _complete_once(litellm, call, settings)
            reply.attempts = attempt
            return reply
        except asyncio.CancelledError:
            raise
        except UsageError:
            raise
        except Exception as exc:
            status = _status(exc)
            timeout = _is_timeout(exc, litellm)
            retriable = timeout or status == 429 or (status is not None and status >= 500)
            if status is None and not timeout:
                # connection refused / reset: transient as far as we can tell
                retriable = isinstance(exc, litellm.APIConnectionError)
            if not retriable or attempt > settings.retries:
                return Reply(text=None, error=_short(exc), attempts=attempt)
            stats.retries += 1
            wait = None
            if status == 429:
                wait = _retry_after(exc)
                if wait is not None:
                    wait = min(wait, MAX_RETRY_AFTER)
            if wait is None:
                base = min(settings.max_backoff, settings.backoff * (2 ** (attempt - 1)))
                wait = base * (0.5 + rng.random() / 2)
            await asyncio.sleep(wait)


def _answer_from_cache(
    calls: Iterable[Call],
    lookup: Callable[[str], Reply | None],
    on_reply: OnReply,
    tick: Ticker | None,
    stats: Stats,
) -> list[Call]:
    """Reply to every call the cache already holds; return the ones still to make."""
    pending: list[Call] = []
    for call in calls:
        hit = lookup(call.key)
        if hit is not None:
            stats.hits += 1
            if hit.cost:
                stats.cost_cached += hit.cost
            on_reply(call, hit)
        else:
            pending.append(call)
    if tick:
        tick(stats)
    return pending


async def _run(
    calls: list[Call],
    settings: Settings,
    lookup: Callable[[str], Reply | None],
    on_reply: OnReply,
    tick: Ticker | None,
    stats: Stats,
) -> None:
    rng = random.Random(settings.seed)
    budget = Budget(settings.max_cost)
    pending = _answer_from_cache(calls, lookup, on_reply, tick, stats)
    queue: asyncio.Queue[Call] = asyncio.Queue()
    for call in pending:
        queue.put_nowait(call)
    in_flight = 0
    wake = asyncio.Event()

    async def worker() -> None:
        nonlocal in_flight
        while True:
            try:
                call = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            while True:
                try:
                    reserved = budget.try_reserve(in_flight)
                except BudgetExceeded:
                    stats.skipped += 1 + queue.qsize()
                    while not queue.empty():
                        queue.get_nowait()
                    return
                if reserved is not None:
                    break
                wake.clear()
                await wake.wait()
            in_flight += 1
            try:
                reply = await complete(call, settings, stats, rng)
            finally:
                in_flight -= 1
            budget.settle(reserved, reply.cost if reply.error is None else 0.0, call.model)
            stats.calls += 1
            if reply.error is not None:
                stats.errors += 1
            elif reply.cost:
                stats.cost_fresh += reply.cost
            on_reply(call, reply)
            wake.set()
            if tick:
                tick(stats)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, settings.concurrency))]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
    if budget.unpriced_model is not None:
        raise UsageError(
            f"--max-cost: litellm has no price for {budget.unpriced_model}, so the budget cannot be enforced",
            hint="set input_cost_per_token / output_cost_per_token in its params, or drop --max-cost",
        )


def run_calls(
    calls: Iterable[Call],
    settings: Settings,
    *,
    lookup: Callable[[str], Reply | None],
    on_reply: OnReply,
    tick: Ticker | None = None,
) -> Stats:
    """Answer ``calls`` (cache first, then the model), calling ``on_reply`` as each lands.

    ``on_reply`` runs in this process as soon as a reply is in, so the
    caller can append it durably before the next one: a crash loses only
    the calls in flight. With ``settings.workers > 1`` (and no budget) the
    calls are shared among forked worker processes; see ``_run_forked``.
    """
    calls = list(calls)
    stats = Stats(total=len(calls))
    misses = sum(1 for c in calls if lookup(c.key) is None)
    if misses:
        litellm_module()
    if settings.workers > 1 and settings.max_cost is None and misses >= 2 * settings.workers:
        _run_forked(calls, settings, lookup, on_reply, tick, stats)
    else:
        asyncio.run(_run(calls, settings, lookup, on_reply, tick, stats))
    return stats


def _child(
    part: list[tuple[int, Call]], settings: Settings, out: Any, worker: int
) -> None:  # pragma: no cover - runs in a forked process
    import signal

    # Ctrl-C is the parent's to handle: it stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        rng = random.Random(settings.seed * 1000 + worker)
        stats = Stats(total=len(part))

        async def main() -> None:
            queue: asyncio.Queue[tuple[int, Call]] = asyncio.Queue()
            for item in part:
                queue.put_nowait(item)

            async def run_one() -> None:
                while not queue.empty():
                    idx, call = queue.get_nowait()
                    out.put((idx, await complete(call, settings, stats, rng)))

            await asyncio.gather(*(run_one() for _ in range(max(1, settings.concurrency))))

        asyncio.run(main())
        out.put(("done", worker, None))
    except BaseException as exc:
        out.put(("failed", worker, f"{type(exc).__name__}: {exc}"))
        raise


def _run_forked(
    calls: list[Call],
    settings: Settings,
    lookup: Callable[[str], Reply | None],
    on_reply: OnReply,
    tick: Ticker | None,
    stats: Stats,
) -> None:
    """Share the calls among ``settings.workers`` forked processes.

    litellm spends ~5 ms of CPU per call in Python, so one event loop tops
    out near 200 calls a second however many calls are in flight; processes
    add cores. The parent keeps the cache, the appends and ``on_reply``: a
    worker only calls the model and sends each reply back as it lands.
    """
    import multiprocessing as mp
    import queue as queue_mod
    from dataclasses import replace

    pending = _answer_from_cache(calls, lookup, on_reply, tick, stats)
    n = settings.workers
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    child_settings = replace(settings, concurrency=max(1, settings.concurrency // n), workers=1)
    procs = [
        ctx.Process(
            target=_child,
            args=([(i, c) for i, c in enumerate(pending) if i % n == w], child_settings, out, w),
            daemon=True,
        )
        for w in range(n)
    ]
    for p in procs:
        p.start()
    finished: set[int] = set()
    failure: str | None = None
    try:
        while len(finished) < n:
            try:
                item = out.get(timeout=0.5)
            except queue_mod.Empty:
                for w, p in enumerate(procs):
                    if w not in finished and not p.is_alive() and out.empty():
                        finished.add(w)
                        failure = failure or f"worker {w} died (exit code {p.exitcode})"
                continue
            if item[0] == "done":
                finished.add(item[1])
                continue
            if item[0] == "failed":
                finished.add(item[1])
                failure = failure or item[2]
                continue
            idx, reply = item
            stats.calls += 1
            stats.retries += max(0, reply.attempts - 1)
            if reply.error is not None:
                stats.errors += 1
            elif reply.cost:
                stats.cost_fresh += reply.cost
            on_reply(pending[idx], reply)
            if tick:
                tick(stats)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
            p.join(5)
    if failure is not None:
        raise UsageError(f"a call worker failed: {failure}", hint="re-run to resume")
