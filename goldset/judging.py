"""The core of ``goldset judge``: LLM-as-judge with its known biases mitigated by construction.

* Pointwise: one call per (example, variant) asks for a binary verdict on
  each rubric criterion (a 3-5 point checklist; no 1-7 scale). One record
  per criterion.
* Pairwise: two variants on one example, always judged in both orders. The
  record keeps each order's verdict; the result is the common winner when
  both orders agree (``consistent: true``), else ``tie`` with
  ``consistent: false`` (a verdict that follows the position is no verdict;
  ``agreement.pairwise_inconsistent: drop`` makes the readers drop it). Both
  outputs' lengths are recorded so ``bias_summary`` can show a preference
  for the longer answer.
* Verdicts come from the judge's JSON, with a tolerant fallback (code
  fences, prose around the JSON, ``[[A]]``-style tokens, ``name: PASS``
  lines). An answer that still names no verdict is recorded with
  ``error: "unparseable: ..."`` and no value: never guessed.
* Outputs are untrusted: delimited in the prompt, and a simple detector
  (``INJECTION_PATTERNS``) flags an output that tries to instruct the judge.
* A judge of the same model family as a generator it judges is warned about.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from goldset import __version__, atomic, llm
from goldset.cache import CallCache, DurableAppender
from goldset.errors import UsageError
from goldset.generate import (
    as_text,
    defuse,
    example_hash,
    lock_file,
    messages,
    now_iso,
    read_jsonl_tolerant,
    render,
)
from goldset.llm_config import Criterion, Judge, Prompt

PARSER_VERSION = "1"
Z95 = 1.959963984540054

# ------------------------------------------------------------------ injection

# Phrases an output uses to talk to its judge rather than to the user. Simple
# on purpose: the point is to surface attempts in the report, not to be a
# classifier. Case-insensitive, matched on the raw output.
INJECTION_PATTERNS: list[tuple[str, str]] = [
    (
        "ignore-instructions",
        r"\b(ignore|disregard|forget)\b[^.\n]{0,30}\b(previous|prior|above|earlier|all|system)\b[^.\n]{0,20}\b(instructions?|rules|prompts?|guidelines)\b",
    ),
    ("role-claim", r"\byou are (now )?(the|a|an) (judge|grader|evaluator|rater)\b"),
    ("to-the-judge", r"\b(dear|attention|note to( the)?) (judge|grader|evaluator)\b"),
    (
        "declares-winner",
        r"\b(output|response|answer|assistant) ?[AB12]\b[^.\n]{0,20}\b(wins|is (the )?(better|best|winner|correct))\b",
    ),
    ("verdict-token", r"\[\[(A|B|C)\]\]|\"winner\"\s*:"),
    (
        "grade-me",
        r"\b(mark|grade|rate|score|judge)\b[^.\n]{0,20}\b(as )?(pass(ed|ing)?|correct|10/10|perfect|the winner)\b",
    ),
    ("pass-json", r"\"pass\"\s*:\s*true"),
    ("new-instructions", r"\b(new|updated|system) (instructions|prompt)\s*:"),
    ("delimiter", r"<<<|>>>"),
]
_INJECTION_RES = [(name, re.compile(p, re.IGNORECASE)) for name, p in INJECTION_PATTERNS]


def detect_injection(text: Any) -> list[str]:
    """Names of the patterns an untrusted text matches (empty: nothing suspicious)."""
    if text is None:
        return []
    s = as_text(text)
    return [name for name, rx in _INJECTION_RES if rx.search(s)]


# ------------------------------------------------------------------ families

_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(p))
    for name, p in [
        ("openai", r"^(gpt|o1|o3|o4|chatgpt|text-davinci|davinci|babbage)"),
        ("anthropic", r"^(claude|anthropic)"),
        ("google", r"^(gemini|gemma|palm|bison|chat-bison)"),
        ("meta", r"^(llama|meta-llama|codellama)"),
        ("mistral", r"^(mistral|mixtral|codestral|ministral|pixtral|magistral|open-mistral)"),
        ("alibaba", r"^(qwen|qwq)"),
        ("deepseek", r"^deepseek"),
        ("cohere", r"^(command|c4ai)"),
        ("xai", r"^grok"),
        ("microsoft", r"^phi"),
    ]
]
# Providers that only serve their own models: the prefix alone names the family.
_FIRST_PARTY = {
    "anthropic": "anthropic",
    "gemini": "google",
    "vertex_ai": "google",
    "mistral": "mistral",
    "cohere": "cohere",
    "xai": "xai",
    "deepseek": "deepseek",
}


def family(model: str, override: str | None = None) -> str:
    """The model family of a litellm model string (``openai/gpt-4o`` -> ``openai``)."""
    if override:
        return override.lower()
    parts = model.lower().split("/")
    name = parts[-1]
    for candidate in (name, *reversed(parts[:-1])):
        for fam, rx in _FAMILIES:
            if rx.match(candidate):
                return fam
    if len(parts) > 1 and parts[0] in _FIRST_PARTY:
        return _FIRST_PARTY[parts[0]]
    m = re.match(r"[a-z]+", name)
    return m.group(0) if m else name


def family_warnings(judge: Judge, variants: Mapping[str, Any], judged: Iterable[str]) -> list[str]:
    jf = family(judge.model, judge.family)
    out = []
    for v in sorted(set(judged)):
        var = variants.get(v)
        if var is None:
            continue
        vf = family(var.model, var.family)
        if vf == jf:
            out.append(
                f"judge {judge.name} ({judge.model}) is of the same model family ({jf}) as variant "
                f"{v} ({var.model}): judges favour their own family; prefer a judge from another family"
            )
    return out


# ------------------------------------------------------------------ prompts


def answer_shape(criteria: list[Criterion]) -> str:
    inner = ", ".join(f'"{c.name}": {{"pass": true|false, "reason": "<short>"}}' for c in criteria)
    return '{"criteria": {' + inner + "}}"


def pointwise_prompt(
    prompt: Prompt, example: dict[str, Any], output: Any, criteria: list[Criterion]
) -> str:
    return render(
        prompt,
        {
            "input_text": defuse(as_text(example.get("input"))),
            "reference_text": defuse(as_text(example.get("reference"))) or None,
            "output": defuse(as_text(output)),
            "criteria": [c.as_dict() for c in criteria],
            "answer_shape": answer_shape(criteria),
            "example": example,
        },
    )


def pairwise_prompt(
    prompt: Prompt, example: dict[str, Any], first: Any, second: Any, criteria: list[Criterion]
) -> str:
    return render(
        prompt,
        {
            "input_text": defuse(as_text(example.get("input"))),
            "reference_text": defuse(as_text(example.get("reference"))) or None,
            "output_a": defuse(as_text(first)),
            "output_b": defuse(as_text(second)),
            "criteria": [c.as_dict() for c in criteria],
            "example": example,
        },
    )


# ------------------------------------------------------------------ parsing

_FENCE_RE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_TRUE = {"true", "pass", "passed", "yes", "y", "1", "ok"}
_FALSE = {"false", "fail", "failed", "no", "n", "0"}


def _json_objects(text: str) -> list[Any]:
    """JSON objects found in a reply: the whole text, fenced blocks, then balanced {...} spans."""
    found: list[Any] = []
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE_RE.finditer(text)]
    for cand in candidates:
        try:
            obj = json.loads(cand)
        except ValueError:
            continue
        if isinstance(obj, dict):
            found.append(obj)
    if found:
        return found
    depth = 0
    start = -1
    in_str = False
    esc = False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"' and depth > 0:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                try:
                    obj = json.loads(text[start : i + 1])
                except ValueError:
                    continue
                if isinstance(obj, dict):
                    found.append(obj)
    return found


def _as_bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        return None
    if isinstance(v, dict):
        for k in ("pass", "passed", "value", "verdict", "result", "answer"):
            if k in v:
                return _as_bool(v[k])
    return None


def parse_pointwise(
    text: str | None, names: list[str]
) -> tuple[dict[str, bool | None], dict[str, str]]:
    """criterion -> True/False/None (None: the reply names no verdict for it), and reasons."""
    values: dict[str, bool | None] = {n: None for n in names}
    reasons: dict[str, str] = {}
    if not text:
        return values, reasons
    for obj in _json_objects(text):
        table = obj.get("criteria", obj)
        if isinstance(table, list):
            table = {str(i.get("name")): i for i in table if isinstance(i, dict)}
        if not isinstance(table, dict):
            continue
        for n in names:
            if values[n] is None and n in table:
                values[n] = _as_bool(table[n])
                item = table[n]
                if isinstance(item, dict) and isinstance(item.get("reason"), str):
                    reasons[n] = item["reason"][:500]
    for n in names:
        if values[n] is not None:
            continue
        # Fallback: "faithful: PASS" / "- faithful -> fail" lines, one verdict only.
        rx = re.compile(
            rf"(?im)^[\s*\-•\"]*{re.escape(n)}[\"*]*\s*(?::|=|->|—|-)\s*\**\s*(pass(?:ed)?|fail(?:ed)?|true|false|yes|no)\b"
        )
        got = {_as_bool(m.group(1)) for m in rx.finditer(text)}
        if len(got) == 1:
            values[n] = got.pop()
    return values, reasons


_WINNER_TOKENS = {
    "a": "A",
    "b": "B",
    "tie": "tie",
    "draw": "tie",
    "equal": "tie",
    "both": "tie",
    "neither": "tie",
    "c": "tie",
    "output a": "A",
    "output b": "B",
    "response a": "A",
    "response b": "B",
    "[[a]]": "A",
    "[[b]]": "B",
    "[[c]]": "tie",
}


def parse_pairwise(text: str | None) -> tuple[str | None, str | None]:
    """("A" | "B" | "tie" | None, reasoning). None: no single verdict found."""
    if not text:
        return None, None
    for obj in _json_objects(text):
        w = obj.get("winner", obj.get("verdict", obj.get("better")))
        if isinstance(w, str):
            got = _WINNER_TOKENS.get(w.strip().lower())
            if got is not None:
                reason = obj.get("reasoning") or obj.get("reason")
                return got, reason[:500] if isinstance(reason, str) else None
    tokens = {
        _WINNER_TOKENS[m.group(0).lower()]
        for m in re.finditer(r"\[\[[ABC]\]\]", text, re.IGNORECASE)
    }
    if len(tokens) == 1:
        return tokens.pop(), None
    m = re.findall(
        r"(?i)\b(?:winner|verdict)\b\W{0,5}(?:is\s+)?(?:output\s+|response\s+)?\"?(A|B|tie)\b", text
    )
    got = {_WINNER_TOKENS[x.lower()] for x in m}
    if len(got) == 1:
        return got.pop(), None
    return None, None


# ------------------------------------------------------------------ bias


def _rate(k: int, n: int) -> dict[str, Any]:
    """k of n, with the binomial SE and a Wilson 95 % interval (Wilson 1927)."""
    if n == 0:
        return {"k": 0, "n": 0, "rate": None, "se": None, "ci": [None, None]}
    p = k / n
    se = math.sqrt(p * (1 - p) / n)
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return {
        "k": k,
        "n": n,
        "rate": p,
        "se": se,
        "ci": [max(0.0, centre - half), min(1.0, centre + half)],
    }


def bias_summary(records: Iterable[Mapping[str, Any]], judge: str | None = None) -> dict[str, Any]:
    """Position bias and longer-answer preference of a judge, from its pairwise records.

    * ``inconsistent``: pairs whose two orders disagree, of the pairs with
      both orders parsed.
    * ``position_bias``: pairs where the verdict followed the position (the
      same slot, first or second, won in both orders).
    * ``first_position``: of all non-tie single-order verdicts, the share
      that picked the answer shown first (0.5 means no position preference).
    * ``longer_preference``: of consistent, non-tie verdicts between answers
      of different length, the share won by the longer one (0.5: none).

    Each is ``{k, n, rate, se, ci}`` (binomial SE, Wilson 95 % interval).
    """
    n_pairs = inconsistent = position = 0
    first_k = first_n = 0
    longer_k = longer_n = 0
    for rec in records:
        if judge is not None and rec.get("judge") != judge:
            continue
        orders = rec.get("orders")
        if "a" not in rec or not isinstance(orders, list) or len(orders) != 2:
            continue
        ws = [o.get("winner") for o in orders if isinstance(o, dict)]
        firsts = [o.get("first") for o in orders if isinstance(o, dict)]
        if len(ws) != 2 or any(w not in ("a", "b", "tie") for w in ws):
            continue
        n_pairs += 1
        for w, f in zip(ws, firsts, strict=True):
            if w != "tie":
                first_n += 1
                first_k += w == f
        if ws[0] != ws[1]:
            inconsistent += 1
            if "tie" not in ws:
                position += 1
            continue
        w = ws[0]
        la, lb = rec.get("len_a"), rec.get("len_b")
        if w != "tie" and isinstance(la, int) and isinstance(lb, int) and la != lb:
            longer_n += 1
            longer = "a" if la > lb else "b"
            longer_k += w == longer
    return {
        "judge": judge,
        "pairs": n_pairs,
        "inconsistent": _rate(inconsistent, n_pairs),
        "position_bias": _rate(position, n_pairs),
        "first_position": _rate(first_k, first_n),
        "longer_preference": _rate(longer_k, longer_n),
    }


# ------------------------------------------------------------------ records


def _unit_key(*keys: str) -> str:
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:32]


def _cost(*replies: llm.Reply) -> float | None:
    costs = [r.cost for r in replies]
    if any(c is None for c in costs):
        return None
    return round(sum(c for c in costs if c is not None), 12)


def _latency(*replies: llm.Reply) -> int | None:
    ls = [r.latency_ms for r in replies]
    if any(v is None for v in ls):
        return None
    return int(sum(v for v in ls if v is not None))


def _tokens(*replies: llm.Reply) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in replies:
        for k, v in r.tokens.items():
            if isinstance(v, int):
                out[k] = out.get(k, 0) + v
    return out


def _clean(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in rec.items()
        if v is not None or k in ("value", "winner", "consistent", "error")
    }


def pointwise_records(
    judge: Judge,
    ex_id: str,
    ex_hash: str,
    variant: str,
    output: Any,
    reply: llm.Reply,
    unit: str,
) -> list[dict[str, Any]]:
    from goldset.labels import output_hash

    names = [c.name for c in judge.criteria]
    flags = detect_injection(output)
    if reply.error is not None:
        values: dict[str, bool | None] = {n: None for n in names}
        reasons: dict[str, str] = {}
    else:
        values, reasons = parse_pointwise(reply.text, names)
    out = []
    for i, n in enumerate(names):
        error = None
        if reply.error is not None:
            error = f"call failed: {reply.error}"
        elif values[n] is None:
            error = "unparseable: the judge named no verdict for this criterion"
        rec: dict[str, Any] = {
            "example_id": ex_id,
            "example_hash": ex_hash,
            "judge": judge.name,
            "variant": variant,
            "criterion": n,
            "value": values[n],
            "at": now_iso(),
            "output_hash": output_hash(output),
            "rationale": reasons.get(n),
            "len_output": len(as_text(output)),
            "injection": bool(flags),
            "injection_patterns": flags or None,
            # the call's figures sit on the first criterion only, so sums stay right
            "cost": reply.cost if i == 0 or reply.cost is None else 0.0,
            "latency_ms": reply.latency_ms if i == 0 else None,
            "cached": reply.cached,
            "cache_key": unit,
            "error": error,
        }
        if error is not None and reply.text:
            rec["raw"] = reply.text[:1000]
        out.append(_clean(rec))
    return out


def pairwise_record(
    judge: Judge,
    ex_id: str,
    ex_hash: str,
    a: str,
    b: str,
    out_a: Any,
    out_b: Any,
    first_a: llm.Reply,
    first_b: llm.Reply,
    unit: str,
    inconsistent_rule: str,
) -> dict[str, Any]:
    from goldset.labels import pair_output_hash

    orders = []
    raws = []
    errors = []
    rationale = None
    for first, reply in (("a", first_a), ("b", first_b)):
        if reply.error is not None:
            orders.append({"first": first, "winner": None})
            errors.append(f"order {first}-first: call failed: {reply.error}")
            continue
        verdict, reason = parse_pairwise(reply.text)
        rationale = rationale or reason
        if verdict is None:
            orders.append({"first": first, "winner": None})
            errors.append(f"order {first}-first: unparseable: no single verdict in the reply")
            raws.append(f"[{first}-first] {(reply.text or '')[:500]}")
            continue
        if verdict == "tie":
            w = "tie"
        elif first == "a":
            w = "a" if verdict == "A" else "b"
        else:
            w = "b" if verdict == "A" else "a"
        orders.append({"first": first, "winner": w})
    winner: str | None
    consistent: bool | None
    if errors:
        winner, consistent = None, None
    elif orders[0]["winner"] == orders[1]["winner"]:
        winner, consistent = orders[0]["winner"], True
    else:
        # documented rule: a verdict that flips with the order is a tie
        winner, consistent = "tie", False
    flags_a = detect_injection(out_a)
    flags_b = detect_injection(out_b)
    rec: dict[str, Any] = {
        "example_id": ex_id,
        "example_hash": ex_hash,
        "judge": judge.name,
        "a": a,
        "b": b,
        "winner": winner,
        "consistent": consistent,
        "orders": orders,
        "len_a": len(as_text(out_a)),
        "len_b": len(as_text(out_b)),
        "at": now_iso(),
        "output_hash": pair_output_hash(out_a, out_b),
        "rationale": rationale,
        "injection": bool(flags_a or flags_b),
        "injection_patterns": ([f"a:{f}" for f in flags_a] + [f"b:{f}" for f in flags_b]) or None,
        "cost": _cost(first_a, first_b),
        "latency_ms": _latency(first_a, first_b),
        "tokens": _tokens(first_a, first_b) or None,
        "cached": first_a.cached and first_b.cached,
        "cache_key": unit,
        "error": "; ".join(errors) if errors else None,
    }
    if raws:
        rec["raw"] = "\n".join(raws)[:2000]
    return _clean(rec)


# ------------------------------------------------------------------ the run


@dataclass
class JudgeRun:
    judge: str
    kind: str
    model: str
    path: str
    units: int = 0
    kept: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    verdicts: dict[str, int] = field(default_factory=dict)
    unparseable: int = 0
    call_errors: int = 0
    injections: int = 0
    warnings: list[str] = field(default_factory=list)
    bias: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "kind": self.kind,
            "model": self.model,
            "path": self.path,
            "units": self.units,
            "kept": self.kept,
            **self.stats,
            "verdicts": self.verdicts,
            "unparseable": self.unparseable,
            "call_errors": self.call_errors,
            "injections": self.injections,
            "warnings": self.warnings,
            "bias": self.bias,
        }


def _load_outputs(cfg: Any, variant: str, hashes: Mapping[str, str]) -> dict[str, Any]:
    """example id -> output for a variant's current, error-free results."""
    path = cfg.path("results") / f"{variant}.jsonl"
    out: dict[str, Any] = {}
    for rec in read_jsonl_tolerant(path):
        ex_id = rec.get("example_id")
        if (
            isinstance(ex_id, str)
            and ex_id in hashes
            and rec.get("example_hash") == hashes[ex_id]
            and rec.get("error") is None
            and rec.get("output") is not None
        ):
            out[ex_id] = rec["output"]
    return out


def judgments_path(cfg: Any, judge: str) -> Path:
    return cfg.path("judgments") / f"{judge}.jsonl"


def run(
    cfg: Any,
    names: list[str],
    settings: llm.Settings,
    *,
    variants_filter: list[str] | None = None,
    use_cache: bool = True,
    progress: Callable[[str], Callable[[llm.Stats], None] | None] | None = None,
) -> list[JudgeRun]:
    """Run the named judges (all when empty) over the current results."""
    from goldset import golden, llm_config

    llm.require()
    judges = llm_config.judges(cfg)
    if not judges:
        raise UsageError(
            "goldset.yaml declares no judges", hint="add one under `judges:` (docs/formats-llm.md)"
        )
    chosen = names or sorted(judges)
    for n in chosen:
        if n not in judges:
            raise UsageError(f"no judge named {n!r} (known: {', '.join(sorted(judges))})")
    variants = llm_config.variants(cfg)
    rubric = llm_config.rubric(cfg)
    examples = golden.read_set(cfg)
    hashes = {i: example_hash(ex) for i, ex in examples.items()}
    cache = CallCache(cfg.root, enabled=use_cache)
    rule = cfg["agreement"]["pairwise_inconsistent"]
    out = []
    for name in chosen:
        judge = judges[name]
        with atomic.lock(lock_file(cfg.root, f"judge-{name}")):
            out.append(
                _run_judge(
                    cfg,
                    judge,
                    variants,
                    rubric,
                    examples,
                    hashes,
                    cache,
                    settings,
                    variants_filter,
                    rule,
                    progress(name) if progress else None,
                )
            )
    return out


def _run_judge(
    cfg: Any,
    judge: Judge,
    variants: Mapping[str, Any],
    rubric: list[Criterion],
    examples: dict[str, dict[str, Any]],
    hashes: dict[str, str],
    cache: CallCache,
    settings: llm.Settings,
    variants_filter: list[str] | None,
    rule: str,
    tick: Callable[[llm.Stats], None] | None,
) -> JudgeRun:
    path = judgments_path(cfg, judge.name)
    summary = JudgeRun(judge.name, judge.kind, judge.model, path.relative_to(cfg.root).as_posix())
    scorer = f"{judge.kind}:{PARSER_VERSION}"
    # unit key -> list of calls; unit key -> record builder
    units: dict[str, list[llm.Call]] = {}
    builders: dict[str, Callable[[list[llm.Reply]], list[dict[str, Any]]]] = {}
    judged_variants: set[str] = set()

    def make_call(text: str, tag: Any) -> llm.Call:
        msgs = messages(text)
        key = llm.call_key(
            judge.model, judge.params, msgs, template_hash=judge.prompt.hash, scorer_version=scorer
        )
        return llm.Call(judge.model, msgs, judge.params, key, tag=tag)

    if judge.kind == "pointwise":
        targets = judge.variants or sorted(variants)
        if variants_filter:
            targets = [v for v in targets if v in variants_filter]
        for v in targets:
            outputs = _load_outputs(cfg, v, hashes)
            if outputs:
                judged_variants.add(v)
            for ex_id, output in outputs.items():
                ex = examples[ex_id]
                call = make_call(pointwise_prompt(judge.prompt, ex, output, judge.criteria), None)
                unit = _unit_key(call.key)
                call.tag = unit
                units[unit] = [call]
                builders[unit] = lambda replies, ex_id=ex_id, v=v, output=output, unit=unit: (
                    pointwise_records(judge, ex_id, hashes[ex_id], v, output, replies[0], unit)
                )
    else:
        pairs = judge.pairs
        if variants_filter:
            pairs = [p for p in pairs if p[0] in variants_filter and p[1] in variants_filter]
        crit = judge.criteria
        for a, b in pairs:
            out_a = _load_outputs(cfg, a, hashes)
            out_b = _load_outputs(cfg, b, hashes)
            common = [i for i in examples if i in out_a and i in out_b]
            if common:
                judged_variants.update((a, b))
            for ex_id in common:
                ex = examples[ex_id]
                c1 = make_call(
                    pairwise_prompt(judge.prompt, ex, out_a[ex_id], out_b[ex_id], crit), None
                )
                c2 = make_call(
                    pairwise_prompt(judge.prompt, ex, out_b[ex_id], out_a[ex_id], crit), None
                )
                unit = _unit_key(c1.key, c2.key)
                c1.tag = unit
                c2.tag = unit
                units[unit] = [c1, c2]
                builders[unit] = (
                    lambda replies, ex_id=ex_id, a=a, b=b, oa=out_a[ex_id], ob=out_b[ex_id], unit=unit: [
                        pairwise_record(
                            judge,
                            ex_id,
                            hashes[ex_id],
                            a,
                            b,
                            oa,
                            ob,
                            replies[0],
                            replies[1],
                            unit,
                            rule,
                        )
                    ]
                )
    summary.warnings = family_warnings(judge, variants, judged_variants)
    if not units:
        summary.warnings.append(
            f"judge {judge.name}: nothing to judge (no current results; run `goldset run` first)"
        )
    summary.units = len(units)

    # Keep the records of units still planned; drop stale ones and failures.
    kept_records: list[dict[str, Any]] = []
    kept_units: set[str] = set()
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for rec in read_jsonl_tolerant(path):
        u = rec.get("cache_key")
        if isinstance(u, str) and u in units:
            by_unit.setdefault(u, []).append(rec)
    for u, recs in by_unit.items():
        expected = len(judge.criteria) if judge.kind == "pointwise" else 1
        if len(recs) == expected and not any(
            str(r.get("error") or "").startswith("call failed") for r in recs
        ):
            kept_records.extend(recs)
            kept_units.add(u)
    summary.kept = len(kept_units)
    atomic.write_bytes(path, b"".join(orjson.dumps(r) + b"\n" for r in kept_records))

    calls = [c for u, cs in units.items() if u not in kept_units for c in cs]
    replies: dict[str, dict[str, llm.Reply]] = {}
    new_records: list[dict[str, Any]] = []
    with DurableAppender() as appender:

        def on_reply(call: llm.Call, reply: llm.Reply) -> None:
            line = cache.line(call.key, reply, call.model)
            if line is not None:
                appender.put(cache.path, line)
            got = replies.setdefault(call.tag, {})
            got[call.key] = reply
            unit_calls = units[call.tag]
            if len(got) < len(unit_calls):
                return
            recs = builders[call.tag]([got[c.key] for c in unit_calls])
            del replies[call.tag]
            new_records.extend(recs)
            appender.put(path, b"".join(orjson.dumps(r) + b"\n" for r in recs))

        stats = llm.run_calls(calls, settings, lookup=cache.get, on_reply=on_reply, tick=tick)
    summary.stats = stats.as_dict()
    all_records = kept_records + new_records
    man_path = path.with_suffix(".manifest.json")
    unchanged = not calls and len(kept_units) == len(units) and man_path.exists()
    for rec in all_records:
        err = rec.get("error")
        if err:
            if "unparseable" in err:
                summary.unparseable += 1
            else:
                summary.call_errors += 1
            continue
        v = rec.get("value") if judge.kind == "pointwise" else rec.get("winner")
        summary.verdicts[str(v).lower()] = summary.verdicts.get(str(v).lower(), 0) + 1
        if rec.get("injection"):
            summary.injections += 1
    if judge.kind == "pairwise":
        summary.bias = bias_summary(all_records)
    all_records.sort(
        key=lambda r: (
            r["example_id"],
            r.get("variant") or "",
            r.get("criterion") or "",
            r.get("a") or "",
            r.get("b") or "",
        )
    )
    atomic.write_bytes(path, b"".join(orjson.dumps(r) + b"\n" for r in all_records))
    if unchanged:
        return summary  # nothing judged: leave the manifest's timestamp alone
    manifest = {
        "judge": judge.name,
        "kind": judge.kind,
        "model": judge.model,
        "judge_hash": judge.hash,
        "prompt_hash": judge.prompt.hash,
        "criteria": [c.name for c in judge.criteria],
        "variants": sorted(judged_variants),
        "family": family(judge.model, judge.family),
        "warnings": summary.warnings,
        "tool_version": __version__,
        "litellm_version": llm.litellm_version(),
        "created_at": now_iso(),
        "run": stats.as_dict(),
    }
    atomic.write_text(
        path.with_suffix(".manifest.json"), json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    )
    return summary
