"""`goldset report`: untrusted text cannot inject, the comment fits, the bytes are stable.

Rendering uses cmarkgfm (GitHub's fork of cmark, GFM extensions) in "unsafe"
mode, so raw HTML would pass through: it is goldset's escaping that must keep
it out.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from gitrepo import (
    CONFIG,
    GitRepo,
    changelog_block,
    changelog_text,
    example,
    golden_text,
    invoke,
    results_text,
)

from goldset import config, diff, report
from goldset.markdown_safe import MARKER, ZWJ

EVIL = (
    "``` </details> <!-- goldset-report --> <img src=x onerror=alert(1)> "
    "<script>alert(1)</script> @octocat @acme/security-team | x | [a](https://evil.example)"
)
EVIL_VARIANT = "@octocat`<b>v"  # a results file name is untrusted too


def render(md: str) -> str:
    cmarkgfm = pytest.importorskip("cmarkgfm")
    from cmarkgfm.cmark import Options

    out: str = cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)
    return out


def run_cmd(root: Path, *args: str) -> tuple[int, str]:
    code, out, _ = invoke(root, *args)
    return code, out


@pytest.fixture
def evil_repo(tmp_path: Path) -> tuple[GitRepo, str, str]:
    repo = GitRepo.init(tmp_path / "r")
    exs = [example(f"e{i}", f"question {i}", "math" if i % 2 else "writing") for i in range(8)]
    s = {e["id"]: {"ok": i % 2 == 0} for i, e in enumerate(exs)}
    base = repo.commit_files(
        {
            "goldset.yaml": CONFIG,
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/CHANGELOG.md": changelog_text(
                changelog_block("2026-11-01", ["- added `e0`: the first real support questions"])
            ),
            "evals/results/v.jsonl": results_text(exs, s),
        }
    )
    edited = [example("e0", f"question 0 {EVIL}", "writing", reference=EVIL), *exs[1:]]
    s2 = {e["id"]: {"ok": True} for e in edited}
    judgment = {
        "example_id": "e1",
        "judge": "gpt-judge",
        "variant": "v",
        "criterion": "faithful",
        "value": True,
        "rationale": EVIL,
    }
    head = repo.commit_files(
        {
            "evals/golden/set.jsonl": golden_text(edited),
            "evals/CHANGELOG.md": changelog_text(
                changelog_block("2026-11-01", ["- added `e0`: the first real support questions"]),
                changelog_block("2026-11-29", [f"- changed `e0`: {EVIL}"]),
            ),
            "evals/results/v.jsonl": results_text(edited, s2, output=EVIL),
            f"evals/results/{EVIL_VARIANT}.jsonl": results_text(edited, s2, output=EVIL),
            "evals/judgments/gpt-judge.jsonl": json.dumps(judgment) + "\n",
        }
    )
    return repo, base, head


def test_untrusted_text_cannot_break_or_inject(evil_repo: tuple[GitRepo, str, str]) -> None:
    repo, base, head = evil_repo
    code, md = run_cmd(repo.root, "report", "--base", base, "--head", head, "--n-boot", "200")
    assert code == 0
    # the evil text made it into the report (inputs, outputs, reason, rationale, variant) ...
    assert "rationale" in md and "evil.example" in md
    assert "octocat" in md.split("## Metrics by slice")[1]
    # ... but only our marker, on the first line
    assert md.startswith(MARKER + "\n") and md.count(MARKER) == 1
    out = render(md)
    # no element came from the untrusted text
    for tag in ("<img", "<script", '<a href="https://evil'):
        assert tag not in out
    # every <details> we opened is closed by us: the counts match and no fence leaked
    assert out.count("<details>") == out.count("</details>") >= 2
    # no mention notifies (GitHub's pattern finds none in the rendered text)
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert not re.search(r"(?:^|\W)@(?:octocat|acme)", text)
    assert "@" + ZWJ + "octocat" in text
    # the per-slice tables keep their shape: every row has as many cells as the header
    for table in re.findall(r"<table>.*?</table>", out, flags=re.S):
        if "<thead>" not in table:
            continue
        n_head = len(re.findall(r"<th[ >]", table.split("</thead>")[0]))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], flags=re.S):
            assert len(re.findall(r"<td[ >]", row)) == n_head


def test_html_report_escapes_everything(evil_repo: tuple[GitRepo, str, str]) -> None:
    repo, base, head = evil_repo
    code, page = run_cmd(
        repo.root, "report", "--base", base, "--head", head, "--format", "html", "--n-boot", "200"
    )
    assert code == 0 and page.startswith("<!DOCTYPE html>")
    assert "<img" not in page and "<script>" not in page
    assert "&lt;/details&gt;" in page


def big_repo(tmp_path: Path, n_variants: int = 40, n_slices: int = 30) -> tuple[GitRepo, str, str]:
    repo = GitRepo.init(tmp_path / "big")
    exs = [
        example(f"e{i:04d}", f"question {i}", f"topic-{i % n_slices:02d}")
        for i in range(n_slices * 8)
    ]
    files: dict[str, str | None] = {
        "goldset.yaml": CONFIG,
        "evals/golden/set.jsonl": golden_text(exs),
    }
    for v in range(n_variants):
        s = {e["id"]: {"ok": (i + v) % 3 == 0} for i, e in enumerate(exs)}
        files[f"evals/results/variant-{v:02d}.jsonl"] = results_text(exs, s)
    base = repo.commit_files(files)
    for v in range(n_variants):
        s = {e["id"]: {"ok": (i + v) % 2 == 0} for i, e in enumerate(exs)}
        files[f"evals/results/variant-{v:02d}.jsonl"] = results_text(exs, s, output="x" * 3000)
    head = repo.commit_files(files)
    return repo, base, head


def test_comment_fits_by_dropping_the_largest_section(tmp_path: Path) -> None:
    repo, base, head = big_repo(tmp_path)
    cfg = config.load(repo.root)
    model = report.build(diff.compute(repo.root, cfg, base, head, n_boot=200))
    full = report.markdown(model, fit=False)
    assert len(full) > 65536, "the test needs a report over the limit"
    md = report.markdown(model)
    assert len(md) <= 65536
    assert md.startswith(MARKER + "\n")
    # the per-slice table (the largest section) went whole, and the note says so
    assert "## Metrics by slice" not in md
    assert "left out **Metrics by slice**" in md
    # the headline and the smaller sections stayed
    assert "goldset report:" in md and "## Quality, cost and latency" in md
    assert "## Outputs to read" in md


def test_same_inputs_give_the_same_bytes(evil_repo: tuple[GitRepo, str, str]) -> None:
    repo, base, head = evil_repo
    args = ("report", "--base", base, "--head", head, "--n-boot", "200", "--seed", "7")
    assert run_cmd(repo.root, *args)[1] == run_cmd(repo.root, *args)[1]
    j1 = run_cmd(repo.root, *args, "--format", "json")[1]
    assert j1 == run_cmd(repo.root, *args, "--format", "json")[1]
    model = json.loads(j1)
    assert list(model) == ["verdict", "untrusted_judges", "pareto", "diff"]
    assert model["verdict"]["status"] in ("ok", "warn", "fail")


def test_project_templates_override_shipped_ones(evil_repo: tuple[GitRepo, str, str]) -> None:
    repo, base, head = evil_repo
    (repo.root / "my-templates/report").mkdir(parents=True)
    (repo.root / "my-templates/report/footer.md.j2").write_text("Reviewed by the eval guild.\n")
    (repo.root / "goldset.yaml").write_text(CONFIG + "paths:\n  templates: my-templates\n")
    code, md = run_cmd(repo.root, "report", "--base", base, "--head", head, "--n-boot", "200")
    assert code == 0
    assert "Reviewed by the eval guild." in md
    assert "same inputs, same report" not in md  # the shipped footer was replaced
    assert "## Metrics by slice" in md  # the other partials still come from goldset


def test_report_out_file_and_verdict(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    exs = [example(f"m{i}", f"q {i}", "math") for i in range(60)]
    base = repo.commit_files(
        {
            "goldset.yaml": CONFIG,
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/results/v.jsonl": results_text(exs, {e["id"]: {"ok": True} for e in exs}),
        }
    )
    head = repo.commit_files(
        {
            "evals/results/v.jsonl": results_text(
                exs, {e["id"]: {"ok": i < 20} for i, e in enumerate(exs)}
            )
        }
    )
    out = repo.root / "report.md"
    code, _ = run_cmd(repo.root, "report", "--base", base, "--head", head, "--out", str(out))
    assert code == 0
    md = out.read_text()
    headline = md.split("\n## ")[0]
    assert (
        "Needs attention" in headline
        and "2 flagged regressions (1 on high-stakes slices)" in headline
    )
    assert "high-stakes slice `category=math` regressed for `v` on `ok`" in headline
    assert "🔻 **regression**" in md
    # no cost or latency recorded: the Pareto view says so instead of inventing them
    assert "Not recorded in these results: cost and latency" in md
    assert "```mermaid" in md
