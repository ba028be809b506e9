"""goldset.yaml: defaults, loading (ruamel.yaml, round-trip safe) and checks.

The hook path must not pay ruamel.yaml's import, so a parsed config is cached
as JSON under ``.git/goldset-cache`` keyed by the file's CRC-32 and size.
"""

from __future__ import annotations

import copy
import json
import zlib
from pathlib import Path

from goldset.errors import ConfigError
from goldset.project import CONFIG_NAME

# typing costs the hook path ~2 ms to import: annotations are for checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULTS: dict[str, Any] = {
    "version": 1,
    "paths": {
        "golden": "evals/golden",
        "changelog": "evals/CHANGELOG.md",
        "schema": "evals/schemas/example.schema.json",
        "results": "evals/results",
        "labels": "evals/labels",
        "judgments": "evals/judgments",
        "templates": None,
    },
    "slices": [],
    "stratification": {
        "strata": ["real_traffic", "failure_mode", "edge_case"],
        "min_per_stratum": 1,
        "min_per_slice": 1,
        "severity": "warning",
    },
    "agreement": {
        "human_threshold": 0.6,
        "judge_threshold": 0.5,
        "pairwise_inconsistent": "tie",
    },
    "high_stakes_slices": [],
    # Each variant: {model, prompt (a template file or inline text), params: {...}}.
    "variants": {},
    # Each judge: {model, kind: pointwise|pairwise, prompt, params, pairs: [[A, B], ...]}.
    "judges": {},
    # Binary criteria shared by human review and pointwise judges:
    # [{name, question, pass_example, fail_example}, ...]
    "rubric": {"criteria": []},
    # Programmatic checks applied by `goldset score`.
    "checks": [],
    "review": {"remind_after_days": 7},
}

_PATH_KEYS = tuple(DEFAULTS["paths"])


class Config:
    """The loaded goldset.yaml (merged over DEFAULTS) and the root it belongs to."""

    __slots__ = ("data", "exists", "root")

    def __init__(
        self, root: Path, data: dict[str, Any] | None = None, exists: bool = False
    ) -> None:
        self.root = root
        self.data = data if data is not None else copy.deepcopy(DEFAULTS)
        self.exists = exists

    def path(self, key: str) -> Path:
        """Absolute path of a configured location (``golden``, ``labels``, ...)."""
        value = self.data["paths"].get(key)
        if value is None:
            raise ConfigError(f"{CONFIG_NAME}: paths.{key} is not set")
        return self.root / value

    def rel(self, key: str) -> str:
        """The configured location as a repository-relative POSIX path."""
        return str(self.data["paths"][key]).strip("/")

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    @property
    def slice_keys(self) -> list[str]:
        return list(self.data.get("slices") or [])


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _cache_file(root: Path, digest: str) -> Path | None:
    from goldset import gitio

    git = gitio.git_dir(root)
    return git / "goldset-cache" / f"config-{digest}.json" if git is not None else None


def load(root: Path) -> Config:
    """Load ``root/goldset.yaml`` merged over the defaults (defaults alone if absent)."""
    cfg_path = root / CONFIG_NAME
    try:
        raw = cfg_path.read_bytes()
    except FileNotFoundError:
        return Config(root=root)
    except OSError as exc:
        raise ConfigError(f"{CONFIG_NAME}: cannot read: {exc}") from None
    # A cache key, not a security boundary: crc32 + size avoids hashlib's import.
    digest = f"{zlib.crc32(raw):08x}-{len(raw)}"
    cache = _cache_file(root, digest)
    if cache is not None and cache.is_file():
        try:
            return Config(root=root, data=json.loads(cache.read_text("utf-8")), exists=True)
        except (OSError, ValueError):
            pass
    user = parse_yaml(raw, CONFIG_NAME)
    data = _merge(DEFAULTS, user)
    check(data)
    if cache is not None:
        try:
            from goldset import atomic

            atomic.write_text(cache, json.dumps(data))
        except OSError:
            pass
    return Config(root=root, data=data, exists=True)


def parse_yaml(raw: bytes, name: str) -> dict[str, Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not valid UTF-8 (byte {exc.start})") from None
    yaml = YAML(typ="safe", pure=True)
    try:
        doc = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc}") from None
    except YAMLError as exc:
        raise ConfigError(f"{name}: invalid YAML: {exc}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{name}: the top level must be a mapping, not {type(doc).__name__}")
    return _plain(doc)


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def check(data: dict[str, Any]) -> None:
    """Refuse a config goldset cannot use, naming the field."""
    n = CONFIG_NAME
    if data.get("version") != 1:
        raise ConfigError(f"{n}: version: expected 1, got {data.get('version')!r}")
    paths = data.get("paths")
    if not isinstance(paths, dict):
        raise ConfigError(f"{n}: paths: expected a mapping")
    for key, value in paths.items():
        if key not in _PATH_KEYS:
            raise ConfigError(f"{n}: paths.{key}: unknown key (known: {', '.join(_PATH_KEYS)})")
        if value is None and key == "templates":
            continue
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{n}: paths.{key}: expected a relative path")
        if value.startswith("/") or ".." in Path(value).parts:
            raise ConfigError(f"{n}: paths.{key}: {value!r} is outside the repository")
    slices = data.get("slices")
    if not isinstance(slices, list) or not all(isinstance(s, str) for s in slices):
        raise ConfigError(f"{n}: slices: expected a list of slice keys")
    strat = data.get("stratification")
    if not isinstance(strat, dict):
        raise ConfigError(f"{n}: stratification: expected a mapping")
    if strat.get("severity") not in ("warning", "error"):
        raise ConfigError(f"{n}: stratification.severity: expected warning or error")
    for k in ("min_per_stratum", "min_per_slice"):
        v = strat.get(k)
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ConfigError(f"{n}: stratification.{k}: expected a non-negative integer")
    agreement = data.get("agreement")
    if not isinstance(agreement, dict):
        raise ConfigError(f"{n}: agreement: expected a mapping")
    for k in ("human_threshold", "judge_threshold"):
        v = agreement.get(k)
        if not isinstance(v, int | float) or isinstance(v, bool) or not -1 <= v <= 1:
            raise ConfigError(f"{n}: agreement.{k}: expected a number in [-1, 1]")
    if agreement.get("pairwise_inconsistent") not in ("tie", "drop"):
        raise ConfigError(f"{n}: agreement.pairwise_inconsistent: expected tie or drop")
    hs = data.get("high_stakes_slices")
    if not isinstance(hs, list) or not all(isinstance(s, str) and "=" in s for s in hs):
        raise ConfigError(f"{n}: high_stakes_slices: expected a list of KEY=VALUE")
    for k in ("variants", "judges"):
        if not isinstance(data.get(k), dict):
            raise ConfigError(f"{n}: {k}: expected a mapping of name -> settings")
