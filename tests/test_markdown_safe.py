"""Untrusted text cannot break or inject into the PR comment.

Where a test renders markdown it uses cmarkgfm, GitHub's own fork of cmark
with its GFM extensions, in "unsafe" mode (raw HTML passed through) so that
it is our escaping, not a sanitiser, that keeps the HTML out.
"""

from __future__ import annotations

import html
import re

import pytest

from goldset.markdown_safe import (
    MARKER,
    ZWJ,
    Section,
    code,
    comment_length,
    details,
    fence,
    fit_comment,
    fit_markdown,
    fit_sections,
    inline,
    neutralise_mentions,
    split_sections,
)

# GitHub's mention pattern, after html-pipeline's MentionFilter
# (lib/html/pipeline/mention_filter.rb, MentionPattern), run on rendered text.
GITHUB_MENTION = re.compile(
    r"(?:^|\W)@((?>[a-z0-9][a-z0-9-]*))(?:/[a-z0-9][a-z0-9\-_]*)?", re.IGNORECASE
)

EVIL = (
    "a | b\nnew row | x\n<script>alert(1)</script> </details> <!-- goldset-report --> "
    "<!-- hide the rest [click](https://evil.example) ![img](https://evil.example/i.png) "
    "<img src=x onerror=alert(1)> **bold** `code` ``` @octocat @acme/security-team "
    "https://evil.example www.evil.example &lt;ok&gt; #12 $x^2$"
)


def render(md: str) -> str:
    cmarkgfm = pytest.importorskip("cmarkgfm")
    from cmarkgfm.cmark import Options

    out: str = cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)
    return out


def text_of(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def table(*cells: str) -> str:
    head = "| " + " | ".join(f"h{i}" for i in range(len(cells))) + " |"
    sep = "|" + "---|" * len(cells)
    return f"{head}\n{sep}\n| " + " | ".join(cells) + " |\n"


# --- inline -----------------------------------------------------------------------


def test_inline_keeps_a_table_row_in_shape_and_injects_nothing() -> None:
    out = render(table(inline(EVIL), "after"))
    assert out.count("<tr>") == 2 and out.count("<td>") == 2
    assert re.search(r"<td>after</td>", out)
    for tag in ("<script", "<img", "<a ", "</details>", "<!--", "<strong>", "<code>"):
        assert tag not in out, tag
    # What the reader sees is the text itself (bar the invisible joiners).
    seen = text_of(out).replace(ZWJ, "")
    assert "<script>alert(1)</script>" in seen
    assert "[click](https://evil.example)" in seen


def test_inline_newlines_become_line_breaks_not_rows() -> None:
    out = render(table(inline("one\r\ntwo\nthree|four"), "z"))
    assert out.count("<tr>") == 2
    assert "one<br>two<br>three|four" in out
    assert inline("one\ntwo", newline=" ") == "one two"


def test_inline_mentions_and_issue_references_do_not_fire() -> None:
    seen = text_of(render(inline("ping @octocat and @acme/security-team, see #12")))
    assert GITHUB_MENTION.search(seen) is None
    assert not re.search(r"(?:^|\W)#\d", seen)
    # An email address is not a mention and stays as it is.
    assert "ada@example" in inline("ada@example.com")


def test_inline_max_chars_shortens_before_escaping() -> None:
    out = inline("*" * 50, max_chars=10)
    assert out == "\\*" * 9 + "…"


def test_inline_removes_control_and_bidi_characters() -> None:
    out = inline("a\x00b\x1b[31mc\u202ed\u2066e")
    assert out == "ab\\[31mcde"


# --- code spans and fences -----------------------------------------------------------


@pytest.mark.parametrize("text", ["a|b", "a\\|b", "a\\\\|b", "`x`", "``` ````", "| | |"])
def test_code_span_in_a_table_cannot_split_the_row(text: str) -> None:
    out = render(table(code(text, in_table=True), "z"))
    assert out.count("<td>") == 2, out
    assert "<td>z</td>" in out
    got = text_of(re.search(r"<code>(.*?)</code>", out, re.S).group(1))  # type: ignore[union-attr]
    assert got.replace(ZWJ, "") == text.strip()


@pytest.mark.parametrize("run", [3, 4, 7, 12])
def test_fence_is_longer_than_any_backtick_run_inside(run: int) -> None:
    body = f"before\n{'`' * run}\n</details>\nafter {'`' * run}python\n"
    block = fence(body, "python")
    opening = block.split("\n", 1)[0]
    assert opening == "`" * (run + 1) + "python"
    out = render(f"<details><summary>s</summary>\n\n{block}\n\n</details>\n\ntail")
    assert out.count("<pre") == 1
    assert out.count("</details>") == 1  # only ours: the one inside is text
    assert "<p>tail</p>" in out
    inner = html.unescape(re.search(r"<code>(.*?)</code>", out, re.S).group(1))  # type: ignore[union-attr]
    assert inner == body


def test_fence_shows_control_characters_and_drops_bad_info_strings() -> None:
    block = fence("red\x1b[31m nul\x00 rtl\u202eevil del\x7f\r\nnext", "py`; rm")
    assert block.startswith("```\n")
    assert "red␛[31m nul␀ rtl<U+202E>evil del␡\nnext\n```" in block
    assert "\x1b" not in block and "\x00" not in block and "\u202e" not in block


def test_fence_neutralises_mentions_and_forged_markers() -> None:
    block = fence(f"cc @octocat @acme/team\n{MARKER}\n<!--goldset-report-->")
    assert MARKER not in block and "<!--goldset-report" not in block
    assert GITHUB_MENTION.search(block) is None


def test_details_summary_is_escaped() -> None:
    out = render(details("</summary></details><b>x</b>", fence("y")) + "\n\nafter")
    assert out.count("</details>") == 1 and "<b>" not in out
    assert "<p>after</p>" in out


def test_mention_neutralising_is_idempotent_and_spares_emails() -> None:
    once = neutralise_mentions("@a @b/c (@d) x@e.com")
    assert neutralise_mentions(once) == once
    assert once == f"@{ZWJ}a @{ZWJ}b/c (@{ZWJ}d) x@e.com"


# --- fitting under GitHub's limit -----------------------------------------------------


def _sections_200k() -> list[Section]:
    return [
        Section("Headline", "## Headline\n\naccuracy +0.03 ± 0.01 (n=120)", required=True),
        Section("Slices", "## Slices\n\n" + "| math | +0.05 |\n" * 1000),  # ~16k
        Section("Outputs to read", "## Outputs to read\n\n" + fence("o" * 99 + "\n") * 900),
        Section("Changelog", "## Changelog\n\n" + "- added `x`: reason\n" * 2000),  # ~40k
        Section("Pareto", "## Pareto\n\n" + "cost vs quality\n" * 3000),  # ~48k
    ]


def test_a_200k_report_is_cut_under_the_limit_largest_sections_first() -> None:
    secs = _sections_200k()
    total = sum(len(s.markdown) for s in secs)
    assert 195_000 < total < 215_000
    fit = fit_sections(secs)
    assert comment_length(fit.body) < 65536
    # Outputs (~95k) goes first; still ~104k left, so Pareto (~48k) goes next.
    assert fit.cut == ["Outputs to read", "Pareto"]
    assert fit.body.startswith(MARKER + "\n## Headline")
    for kept in ("Headline", "Slices", "Changelog"):
        section = next(s for s in secs if s.title == kept)
        assert section.markdown in fit.body  # kept whole, not trimmed
    note = fit.body.rstrip().rsplit("\n", 1)[-1]
    assert "**Outputs to read**" in note and "**Pareto**" in note and "65,536" in note
    assert fit_comment(secs) == fit.body


def test_nothing_is_cut_when_it_fits() -> None:
    secs = [Section("Headline", "hello", True), Section("More", "## More\n\nworld")]
    assert fit_comment(secs) == f"{MARKER}\nhello\n\n## More\n\nworld\n"


def test_a_required_section_is_never_dropped_even_when_largest() -> None:
    secs = [
        Section("Headline", "headline", True),
        Section("Big but required", "## Big\n\n" + "r" * 40_000, True),
        Section("Extra", "## Extra\n\n" + "e" * 30_000),
    ]
    fit = fit_sections(secs)
    assert fit.cut == ["Extra"] and fit.truncated == []
    assert "r" * 40_000 in fit.body


def test_oversized_required_text_is_shortened_with_its_fence_closed() -> None:
    huge = "# Report\n\n" + fence("\n".join(f"line {i}" for i in range(20_000)))
    fit = fit_markdown(huge)
    assert comment_length(fit.body) < 65536
    assert fit.truncated == ["headline"]
    out = render(fit.body)
    assert out.count("<pre") == 1
    assert "shortened" in text_of(out.split("</pre>")[-1])


def test_length_counts_astral_characters_twice() -> None:
    assert comment_length("a😀") == 3
    secs = [Section("h", "h", True), Section("emoji", "😀" * 40_000)]
    fit = fit_sections(secs)  # 40,000 characters, but 80,000 UTF-16 units
    assert fit.cut == ["emoji"]


def test_split_sections_ignores_headings_in_fences_and_details() -> None:
    md = (
        "# Report\n\nheadline\n\n## Slices\n\n```\n## not a heading\n```\n\n"
        "<details><summary>x</summary>\n\n## inside details\n\n</details>\n\n## Changelog ##\n\n- a\n"
    )
    secs = split_sections(md)
    assert [s.title for s in secs] == ["headline", "Slices", "Changelog"]
    assert [s.required for s in secs] == [True, False, False]
    assert "\n\n".join(s.markdown for s in secs) == md.strip("\n")


def test_fit_markdown_replaces_a_leading_marker_and_breaks_forged_ones() -> None:
    body = fit_markdown(
        f"  {MARKER}\n# R\n\nsays {MARKER} and <!--  GOLDSET-REPORT --> @x\x00"
    ).body
    assert body.startswith(MARKER + "\n# R")
    assert body.count(MARKER) == 1
    assert "<!--  GOLDSET" not in body and "\x00" not in body
    assert GITHUB_MENTION.search(body.split("\n", 1)[1]) is None
    # Idempotent: a body that went through once passes through unchanged.
    assert fit_markdown(body).body == body


def test_an_unclosed_fence_or_details_in_the_body_cannot_swallow_the_note() -> None:
    body = "# R\n\n<details><summary>s</summary>\n\n```\nnever closed " + "x\n" * 40_000
    fit = fit_markdown(body)
    assert comment_length(fit.body) < 65536
    out = render(fit.body)
    assert out.count("<pre") == 1 and out.count("</pre>") == 1
    assert out.count("</details>") == 1
    assert "to stay under GitHub" in text_of(out.split("</details>")[1])


def test_an_unclosed_details_in_a_kept_section_is_closed() -> None:
    fit = fit_markdown("# R\n\n<details><summary>s</summary>\n\nhidden\n\n## Next\n\nshown")
    out = render(fit.body)
    assert out.count("</details>") == 1
    assert "shown" in out.split("</details>")[0]  # it was inside the block the author opened


def test_pathological_input_still_fits_quickly() -> None:
    # A 100k-character heading (it names a cut section in the note) and a wall of emoji.
    md = "😀" * 50_000 + "\n\n## " + "T" * 100_000 + "\n\nbody\n\n## ok\n\n" + "😀\n" * 30_000
    fit = fit_markdown(md)
    assert comment_length(fit.body) < 65536
    assert fit.body.startswith(MARKER + "\n😀")
    assert len(fit.cut) == 2 and fit.truncated == ["headline"]
