"""The hook path: `goldset-hook validate` and `goldset-hook check-changelog`.

Run on every commit, so it is built for start-up time: no click, no
jsonschema (a cached compiled validator instead), no gitpython (plumbing),
and no numpy, scipy, jinja2 or litellm. It exits 0 in a repository without
goldset.yaml, so a shared hook configuration never blocks other projects.

    goldset-hook validate [--staged | --rev REV | --worktree] [--format text|github]
    goldset-hook check-changelog [--staged | --range BASE..HEAD] [--format text|github]
"""

from __future__ import annotations

import sys

USAGE_TEXT = __doc__.split("\n\n")[-1] if __doc__ else ""


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    from goldset.errors import INTERNAL, INTERRUPTED, USAGE, GoldsetError

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(args)
    except GoldsetError as exc:
        sys.stderr.write(f"goldset: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return INTERRUPTED
    except _Usage as exc:
        sys.stderr.write(f"goldset-hook: {exc}\nusage:\n{USAGE_TEXT}\n")
        return USAGE
    except Exception:
        import traceback

        traceback.print_exc()
        sys.stderr.write("goldset-hook: internal error (a bug in goldset)\n")
        return INTERNAL


class _Usage(Exception):
    pass


def _options(args: list[str]) -> dict[str, str]:
    opts: dict[str, str] = {"mode": "staged", "format": "text"}
    it = iter(args)
    for a in it:
        if a == "--staged":
            opts["mode"] = "staged"
        elif a == "--worktree":
            opts["mode"] = "worktree"
        elif a in ("--rev", "--range", "--format"):
            value = next(it, None)
            if value is None:
                raise _Usage(f"{a} needs a value")
            if a == "--format":
                if value not in ("text", "github"):
                    raise _Usage("--format must be text or github")
                opts["format"] = value
            else:
                opts["mode"] = a[2:]
                opts["spec"] = value
        elif a.startswith("--format="):
            value = a.split("=", 1)[1]
            if value not in ("text", "github"):
                raise _Usage("--format must be text or github")
            opts["format"] = value
        else:
            raise _Usage(f"unexpected argument {a!r}")
    return opts


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE_TEXT + "\n")
        return 0 if args else 2
    cmd, rest = args[0], args[1:]
    opts = _options(rest)
    from goldset import project

    try:
        root = project.find_root()
    except Exception:
        return 0
    if not (root / project.CONFIG_NAME).is_file():
        return 0
    from goldset import config

    cfg = config.load(root)
    if cmd == "validate":
        return _validate(cfg, opts)
    if cmd == "check-changelog":
        return _check_changelog(cfg, opts)
    raise _Usage(f"unknown command {cmd!r}")


def _validate(cfg: object, opts: dict[str, str]) -> int:
    from goldset import trees, validate
    from goldset.problems import render

    root = cfg.root  # type: ignore[attr-defined]
    tree: trees.Tree
    if opts["mode"] == "staged":
        tree = trees.IndexTree(root)
    elif opts["mode"] == "rev":
        tree = trees.RevTree(root, opts["spec"])
    else:
        tree = trees.WorkTree(root)
    try:
        report = validate.run(cfg, tree)  # type: ignore[arg-type]
    finally:
        tree.close()
    # Quiet when the commit may go ahead: warnings (thin coverage) belong to
    # `goldset validate` and CI, not to every commit; with an error, show all.
    if report.errors:
        summary = f"goldset validate ({report.source}): {report.errors} errors, {report.warnings} warnings in {report.examples} examples"
        sys.stdout.write(render(report.problems, opts["format"], summary))
    return 1 if report.errors else 0


def _check_changelog(cfg: object, opts: dict[str, str]) -> int:
    from goldset import changes
    from goldset.problems import render

    if opts["mode"] == "range":
        result = changes.check_range(cfg, opts["spec"])  # type: ignore[arg-type]
    elif opts["mode"] == "staged":
        result = changes.check_staged(cfg)  # type: ignore[arg-type]
    else:
        raise _Usage("check-changelog takes --staged or --range BASE..HEAD")
    if result.problems:
        n = sum(1 for p in result.problems if p.severity == "error")
        summary = f"goldset check-changelog: {n} unjustified change(s) in {result.range}"
        sys.stdout.write(render(result.problems, opts["format"], summary))
        return 1
    return 0


if __name__ == "__main__":
    main()
