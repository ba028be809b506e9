"""The core of ``goldset run``: every variant's output for every example, resumable.

A run keeps the records that are still valid (same example content, same
model, prompt template and params, no error), drops the rest, and asks the
cache and then the model for the missing ones. Each answer is appended to
``<variant>.jsonl`` as it lands (goldset.cache.DurableAppender, fsync'd), so
a crash or Ctrl-C loses only the calls in flight and the next run resumes.
At the end the file is rewritten sorted by example id (same inputs, same
bytes) and the manifest is marked complete. The programmatic checks (free)
are applied to each new output on the way in.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from goldset import __version__, atomic, llm
from goldset.cache import CallCache, DurableAppender, cache_dir
from goldset.errors import UsageError
from goldset.llm_config import Prompt, Variant

_MARKER_RE = re.compile(r"<<<|>>>")


# ---------------------------------------------------------------- prompts


def defuse(text: str) -> str:
    """Break ``<<<`` / ``>>>`` in untrusted text so it cannot close its delimited block."""
    return _MARKER_RE.sub(lambda m: m.group(0)[0] + " " + m.group(0)[1:], text)


def as_text(value: Any) -> str:
    """An input, reference or output as prompt text (objects as indented JSON)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def render(prompt: Prompt, context: dict[str, Any]) -> str:
    """Render a prompt template (compiled once per process: 10,000 prompts a run)."""
    from goldset import templating

    text = templating.compile_string(prompt.source, name=prompt.name)(context)
    return str(text).strip() + "\n"


def messages(text: str, system: str | None = None) -> list[dict[str, str]]:
    out = []
    if system:
        out.append({"role": "system", "content": system})
    out.append({"role": "user", "content": text})
    return out


def generation_prompt(prompt: Prompt, example: dict[str, Any]) -> str:
    return render(
        prompt,
        {
            "input": example.get("input"),
            "input_text": as_text(example.get("input")),
            "reference": example.get("reference"),
            "reference_text": as_text(example.get("reference")) or None,
            "example": example,
            "slice": example.get("slice") or {},
        },
    )


# ---------------------------------------------------------------- records


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_jsonl_tolerant(path: Path) -> list[dict[str, Any]]:
    """Records of a file goldset appends to; a torn last line (a crash) is skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    out = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def lock_file(root: Path, name: str) -> Path:
    return cache_dir(root).parent / "locks" / f"{name}.lock"


def example_hash(example: dict[str, Any]) -> str:
    from goldset.golden import content_hash

    h = example.get("content_hash")
    return h if isinstance(h, str) and h else content_hash(example)


def _tokens(reply: llm.Reply) -> dict[str, int]:
    return {k: v for k, v in reply.tokens.items() if isinstance(v, int) and v >= 0}


def result_record(
    example_id: str, ex_hash: str, reply: llm.Reply, scores: dict[str, Any]
) -> dict[str, Any]:
    return {
        "example_id": example_id,
        "example_hash": ex_hash,
        "output": reply.text if reply.error is None else None,
        "scores": scores,
        "cost": reply.cost,
        "latency_ms": reply.latency_ms,
        "tokens": _tokens(reply),
        "error": reply.error,
        "cached": reply.cached,
    }


def manifest_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k != "api_key"}


# ---------------------------------------------------------------- run


@dataclass
class VariantRun:
    variant: str
    model: str
    path: str
    examples: int
    kept: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    complete: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "model": self.model,
            "path": self.path,
            "examples": self.examples,
            "kept": self.kept,
            **self.stats,
            "complete": self.complete,
            "errors_sample": self.errors[:5],
        }


def _settings_key(variant: Variant) -> dict[str, Any]:
    return {
        "model": variant.model,
        "prompt_hash": variant.prompt.hash,
        "params": manifest_params(variant.params),
        "system": variant.system,
    }


def run(
    cfg: Any,
    names: list[str],
    settings: llm.Settings,
    *,
    use_cache: bool = True,
    progress: Callable[[str], Callable[[llm.Stats], None] | None] | None = None,
) -> list[VariantRun]:
    """Generate outputs for the named variants (all when empty); return one summary each."""
    from goldset import golden, llm_config, results

    llm.require()
    variants = llm_config.variants(cfg)
    if not variants:
        raise UsageError(
            "goldset.yaml declares no variants",
            hint="add one under `variants:` (docs/formats-llm.md)",
        )
    chosen = names or sorted(variants)
    for n in chosen:
        if n not in variants:
            raise UsageError(f"no variant named {n!r} (known: {', '.join(sorted(variants))})")
        results.check_variant(n)
    checks = llm_config.checks(cfg)
    examples = golden.read_set(cfg)
    if not examples:
        raise UsageError(f"{cfg.rel('golden')}: the golden set is empty", hint="goldset add ...")
    golden_hash = golden.set_hash(examples)
    cache = CallCache(cfg.root, enabled=use_cache)
    out: list[VariantRun] = []
    for name in chosen:
        variant = variants[name]
        folder = cfg.path("results")
        res_path = folder / f"{name}.jsonl"
        man_path = folder / f"{name}.manifest.json"
        summary = VariantRun(
            variant=name,
            model=variant.model,
            path=res_path.relative_to(cfg.root).as_posix(),
            examples=len(examples),
        )
        with atomic.lock(lock_file(cfg.root, f"results-{name}")):
            _run_variant(
                cfg,
                variant,
                examples,
                checks,
                cache,
                settings,
                res_path,
                man_path,
                golden_hash,
                summary,
                progress(name) if progress else None,
            )
        out.append(summary)
    return out


def _run_variant(
    cfg: Any,
    variant: Variant,
    examples: dict[str, dict[str, Any]],
    checks: list[Any],
    cache: CallCache,
    settings: llm.Settings,
    res_path: Path,
    man_path: Path,
    golden_hash: str,
    summary: VariantRun,
    tick: Callable[[llm.Stats], None] | None,
) -> None:
    from goldset import results, scoring

    want = _settings_key(variant)
    old_manifest: dict[str, Any] = {}
    with contextlib.suppress(FileNotFoundError, ValueError):
        old_manifest = json.loads(man_path.read_text("utf-8"))
    same_settings = all(old_manifest.get(k) == v for k, v in want.items())
    hashes = {i: example_hash(ex) for i, ex in examples.items()}
    kept: dict[str, dict[str, Any]] = {}
    if same_settings:
        for rec in read_jsonl_tolerant(res_path):
            ex_id = rec.get("example_id")
            if (
                isinstance(ex_id, str)
                and ex_id in hashes
                and rec.get("example_hash") == hashes[ex_id]
                and rec.get("error") is None
                and ex_id not in kept
            ):
                kept[ex_id] = rec
    summary.kept = len(kept)
    if (
        same_settings
        and old_manifest.get("complete") is True
        and old_manifest.get("golden_hash") == golden_hash
        and len(kept) == len(examples)
    ):
        # Nothing to do: leave both files byte for byte as they are.
        summary.stats = llm.Stats().as_dict()
        summary.complete = True
        return
    manifest = {
        "variant": variant.name,
        **want,
        "golden_hash": golden_hash,
        "tool_version": __version__,
        "litellm_version": llm.litellm_version(),
        "created_at": now_iso(),
        "complete": False,
    }
    # Start from exactly the records still valid, so the file never holds two
    # records for one example, even if this run is killed.
    atomic.write_bytes(res_path, results.dump_records(list(kept.values())))
    atomic.write_bytes(man_path, results.dump_manifest(manifest))

    calls: list[llm.Call] = []
    for ex_id, ex in examples.items():
        if ex_id in kept:
            continue
        text = generation_prompt(variant.prompt, ex)
        msgs = messages(text, variant.system)
        key = llm.call_key(variant.model, variant.params, msgs, template_hash=variant.prompt.hash)
        calls.append(llm.Call(variant.model, msgs, variant.params, key, tag=ex_id))

    new: dict[str, dict[str, Any]] = {}
    my_checks = [c for c in checks if not c.variants or variant.name in c.variants]
    with DurableAppender() as appender:

        def on_reply(call: llm.Call, reply: llm.Reply) -> None:
            ex_id = call.tag
            ex = examples[ex_id]
            scores = (
                scoring.score_output(cfg, my_checks, ex, reply.text) if reply.error is None else {}
            )
            rec = results.ordered(result_record(ex_id, hashes[ex_id], reply, scores))
            new[ex_id] = rec
            appender.put(res_path, orjson.dumps(rec) + b"\n")
            line = cache.line(call.key, reply, call.model)
            if line is not None:
                appender.put(cache.path, line)
            if reply.error is not None:
                summary.errors.append(f"{ex_id}: {reply.error}")

        stats = llm.run_calls(calls, settings, lookup=cache.get, on_reply=on_reply, tick=tick)
    all_records = {**kept, **new}
    summary.stats = stats.as_dict()
    summary.complete = len(all_records) == len(examples) and not stats.errors
    manifest["complete"] = summary.complete
    manifest["run"] = stats.as_dict()
    manifest["cost_total"] = round(sum(r.get("cost") or 0.0 for r in all_records.values()), 10)
    atomic.write_bytes(res_path, results.dump_records(list(all_records.values())))
    atomic.write_bytes(man_path, results.dump_manifest(manifest))
