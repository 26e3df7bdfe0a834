"""Renderers: every format carries the seed's vocabulary, HTML escapes, charts are well-formed
SVG, writes are atomic, only the text renderer imports rich."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from advisor.files import write_atomic
from advisor.guidance import build_guidance
from advisor.profile import Profile
from advisor.recommendation import (
    ASPECTS,
    CHALLENGES,
    FINE_TUNING_STEPS,
    THREE_CS,
    CostReport,
    MethodCost,
    Reason,
    Recommendation,
    Source,
)
from advisor.report import FORMATS, render

EVIL = "<script>alert('x')</script>"


def sample_recommendation(
    verdict: str = "fine-tune", method: str = "lora", **profile
) -> Recommendation:
    """A Recommendation built without the engine: real guidance, hand-made reasons and cost."""
    p = Profile(**({"labeled_examples": 5000, "gpu_memory_gb": 24, "gpu_count": 1} | profile))
    score = 2.5 if verdict == "fine-tune" else -1.5
    g = build_guidance(p, verdict, method, score)
    reasons = [
        Reason(
            rule_id="data.vendor-minimum",
            statement="Vendors suggest at least a few hundred examples before fine-tuning.",
            source=Source(
                title="Vendor guide",
                kind="vendor-guide",
                year=2024,
                figure="50-100 examples minimum",
                url="https://example.org/guide",
            ),
            fields=["labeled_examples"],
            weight=1.5,
        ),
        Reason(
            rule_id="change.weekly",
            statement="Weekly changing requirements favour prompts.",
            source=Source(title="Study", kind="paper", figure="retraining cost per change"),
            fields=["requirements_change"],
            weight=-0.75,
        ),
    ]
    cost = CostReport(
        methods=[
            MethodCost(method="few-shot", usd_per_1k_queries=0.9, monthly_usd=9.0),
            MethodCost(
                method="lora",
                memory_gb=16.9,
                fits_gpu=True,
                train_flops=1e17,
                train_gpu_hours=0.4,
                train_usd=1.2,
                usd_per_1k_queries=0.3,
                monthly_usd=3.0,
            ),
        ],
        break_even_monthly_queries=2000,
        price_table="test prices (2026-01, made up)",
        assumptions=["35% utilisation"],
    )
    return Recommendation(
        verdict=verdict,
        method=method,
        confidence=0.72,
        score=score,
        summary="Test summary.",
        profile=p,
        reasons=reasons,
        aspects=g.aspects,
        challenges=g.challenges,
        plan=g.plan,
        cost=cost,
        benchmark_command=g.benchmark_command,
        profile_sources={"labeled_examples": "flag"},
        version="0.0-test",
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_has_aspects_and_challenges(fmt):
    out = render(sample_recommendation(), fmt)
    for name in (*ASPECTS, *CHALLENGES):
        assert name in out, f"{fmt} lacks {name}"
    assert "advisor benchmark" in out


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_fine_tune_plan_shows_seven_steps_and_hyperparameters(fmt):
    out = render(sample_recommendation("fine-tune", "lora"), fmt)
    for step in FINE_TUNING_STEPS:
        assert step in out
    assert "learning_rate" in out and "lora_r" in out
    assert "0.0002" in out or "2e-04" in out or "2e-4" in out


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_prompt_plan_shows_three_cs_and_skeleton(fmt):
    rec = sample_recommendation("prompt", "few-shot", labeled_examples=40)
    out = render(rec, fmt)
    for c in THREE_CS:
        assert c in out
    assert "Draft prompt" in out
    assert "FINE_TUNING_STEPS" not in out and FINE_TUNING_STEPS[0] not in out


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_cost_table_and_break_even(fmt):
    out = render(sample_recommendation(), fmt)
    assert "2,000" in out and "16.9" in out and "test prices (2026-01, made up)" in out


def test_json_round_trips_to_the_same_model():
    rec = sample_recommendation()
    again = Recommendation.model_validate_json(render(rec, "json"))
    assert again == rec


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_user_and_rule_strings():
    rec = sample_recommendation()
    rec.reasons[0].statement = EVIL
    rec.reasons[0].source.url = "javascript:alert(1)"
    rec.summary = EVIL
    rec.profile_sources["budget_usd"] = f'file "{EVIL}"'
    rec.plan.steps[0].detail = EVIL
    rec.cost.methods[0].method = EVIL
    page = render(rec, "html")
    assert "<script" not in page.lower()
    assert "javascript:" not in page  # unsafe links are dropped, not emitted as href
    assert "&lt;script&gt;" in page
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags
    assert EVIL in "".join(parser.text)  # shown to the reader as text
    assert parser.tags.count("svg") == 2  # reasons chart and cost chart, inline


def test_html_is_self_contained():
    page = render(sample_recommendation(), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    assert not re.search(r"""(src|href)=["']https?://(?!example\.org)""", page)
    assert "<link" not in page


def test_markdown_escapes_html_and_table_pipes():
    rec = sample_recommendation()
    rec.reasons[0].statement = f"a | b {EVIL}"
    out = render(rec, "markdown")
    assert "<script>" not in out
    row = next(line for line in out.splitlines() if "a \\| b" in line)
    assert row.count(" | ") >= 3  # cell separators intact


def test_text_render_is_plain():
    out = render(sample_recommendation(), "text")
    assert "\x1b[" not in out
    assert "fine-tune" in out and "72%" in out


def test_unknown_format_is_a_usage_error():
    from advisor.errors import UsageError

    with pytest.raises(UsageError, match="allowed: text, markdown, html, json"):
        render(sample_recommendation(), "pdf")


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path):
    target = tmp_path / "sub" / "report.html"
    write_atomic(target, "old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_atomic_keeps_old_file_when_writing_fails(tmp_path: Path, monkeypatch):
    target = tmp_path / "report.md"
    target.write_text("old")

    def boom(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    from advisor.errors import UsageError

    with pytest.raises(UsageError, match="No space left"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_json_output_is_valid_json_document():
    data = json.loads(render(sample_recommendation("prompt-then-fine-tune", "few-shot"), "json"))
    assert data["plan"]["checklist"] and data["plan"]["steps"]


class _Balance(HTMLParser):
    VOID = {"meta", "br", "link", "img", "input", "hr"}  # HTML void elements

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


@pytest.mark.parametrize("verdict", ["fine-tune", "prompt", "prompt-then-fine-tune"])
def test_html_tags_are_balanced(verdict):
    parser = _Balance()
    parser.feed(
        render(sample_recommendation(verdict, "lora" if verdict == "fine-tune" else "3c"), "html")
    )
    assert parser.errors == [] and parser.stack == []


def _charts(label: str) -> list[str]:
    from advisor.report import plots, svg

    amount = svg.Amount(2.0, f"$2 {label}", label)
    return [
        svg.diverging_bars(
            [svg.Bar(label, 1.5, label), svg.Bar("b", -0.5, label)],
            aria_label=label,
            captions=(label, label),
            colours=("#000", label),
        ),
        svg.paired_bars(
            [svg.PairedRow(label, amount, amount), svg.PairedRow("b", amount, None)],
            aria_label="cost",
            legend=(label, label),
            colours=("#000", "#111"),
        ),
        svg.ci_bars(
            [svg.CiBar(label, 0.5, 0.4, 0.6, "#000")],
            aria_label="scores",
            levels=[svg.Level(0.2, label), svg.Level(0.25, label, "#123")],
            margin=100,
        ),
        plots.line_chart(
            [
                plots.Series(label, [(1, 2.0), (2, 1.0)], "#000"),
                plots.Series("v", [(2, 1.5)], "#111"),
            ],
            aria_label=label,
            x_caption=label,
            y_caption=label,
            marker=(2, label),
        ),
        plots.scatter(
            [plots.Dot(label, 0.1, 0.5, "#000", label)],
            aria_label="s",
            x_caption=label,
            y_caption=label,
            empty=label,
        ),
        plots.scatter([], aria_label="s", x_caption="x", y_caption="y", empty=label),
        plots.log_line_chart(
            [plots.LinePoint(10, 0.3, (0.2, 0.4)), plots.LinePoint(100, 0.8, None)],
            aria_label=label,
            series=label,
            x_caption=label,
            reference=(0.5, label),
            marker=(40.0, label),
        ),
    ]


def test_every_chart_is_well_formed_svg_and_escapes_labels():
    import xml.etree.ElementTree as ET

    label = f'{EVIL} "q" & <b>'
    for chart in _charts(label):
        root = ET.fromstring(chart)  # parses: no label broke an element or attribute
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert not any(e.tag.endswith(("script", "b")) for e in root.iter())
        assert "<script" not in chart


def test_markdown_and_html_tables_escape_cells():
    from advisor.report.tables import html_table, md_pipes, md_table

    md = md_table(("a", "b"), [(EVIL, "x|y\nz")])
    assert "<script>" not in md and "x\\|y<br>z" in md and md.count("\n") == 2
    # The benchmark's cells keep their own "->" but still cannot split a row.
    assert md_table(("a",), [("1 -> 2 | 3",)], cell=md_pipes).endswith("| 1 -> 2 \\| 3 |")
    page = html_table(("h",), [(EVIL,)], sections=False)
    assert (
        page
        == "<table><tr><th>h</th></tr><tr><td>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</td></tr></table>"
    )


def test_only_the_text_renderer_imports_rich():
    code = (
        "import sys\n"
        "import advisor.report, advisor.report.recommendation.json, "
        "advisor.report.recommendation.markdown, advisor.report.recommendation.html, "
        "advisor.report.benchmark\n"
        "assert 'rich' not in sys.modules, 'rich imported outside the text renderer'\n"
        "import advisor.report.recommendation.text\n"
        "assert 'rich' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def fake_benchmark(run_dir: Path, **extra):
    """The fake-runner benchmark of tests/test_goldens.py (hash-based predictions, no model):
    a second, and every report section a classification run has."""
    from test_goldens import run_fake_benchmark

    return run_fake_benchmark(run_dir, **extra)


def test_benchmark_report_shows_classification_detail_escaped(tmp_path):
    from advisor.report.benchmark import html, markdown

    results = fake_benchmark(tmp_path / "run")
    tuned = results.get("fake-ft")
    assert tuned is not None and 0 < tuned.metrics["macro_f1"] <= 1
    assert all(len(s.misclassified) <= 5 for s in results.strategies)
    results.data.name = EVIL
    results.strategies[0].misclassified[0].input = EVIL + " | row\nbreak"
    page, md = html.render(results), markdown.render(results)
    for text in (page, md):
        assert "<script>" not in text
    assert "macro-F1" in page and "Confusion matrices" in page and "Misclassified examples" in page
    assert page.count('class="confusion"') == len(results.strategies)
    assert "chance 0.17" in page and "majority 0.17" in page
    assert 'aria-label="loss curves of fake-ft"' in page
    assert md.startswith("# Benchmark: &lt;script&gt;")
    assert "| score | macro-F1 | 95% CI |" in md
    assert "&lt;script&gt;alert('x')&lt;/script&gt; \\| row<br>break" not in md  # excerpt: one line
    assert "&lt;script&gt;alert('x')&lt;/script&gt; \\| row break" in md


def test_benchmark_tables_carry_chance_and_majority_rows_and_name_arms_at_chance(tmp_path):
    from advisor.report.benchmark import html, markdown

    results = fake_benchmark(tmp_path / "run")
    b = results.label_baselines
    assert b is not None and b.share_guess is not None
    results.strategies[0].metrics["acc"] = b.chance  # a prompt no better than guessing
    md, page = markdown.render(results), html.render(results)
    for text in (md, page):
        assert "chance (uniform guess, 6 labels)" in text
        assert "chance (guess by label shares)" in text
        assert "majority class (&#x27;" in text or "majority class ('" in text
        assert f"{results.strategies[0].name} ({b.chance:.3f}) is within the chance band" in text
        assert "it cannot be told apart from guessing" in text
    row = next(line for line in md.splitlines() if line.startswith("| majority class"))
    assert f"| reference | {b.majority_share:.3f} | {b.majority_macro_f1:.3f} |" in row
    assert "share guess" in page or abs(b.share_guess - b.chance) < 0.01
    # Every score chart draws the baselines: the bars and the cost-versus-score dots.
    assert page.count(f"chance {b.chance:.2f}") == 2


@pytest.mark.parametrize(
    ("method", "ran", "expected"),
    [
        (
            "qlora",
            "lora",
            "The advised method, qlora, ran as its surrogate **lora**: 4-bit kernels",
        ),
        ("api-fine-tune", "lora", "api-fine-tune, ran as its surrogate **lora**: a provider"),
        ("qlora", "ia3", "qlora, was not measured: neither it nor its surrogate lora ran"),
        ("lora", "lora", None),
    ],
)
def test_benchmark_report_repeats_the_surrogate_of_the_advised_method(
    tmp_path, method, ran, expected
):
    from advisor.bench.schema import Advice
    from advisor.report.benchmark import html, markdown, sections

    results = fake_benchmark(tmp_path / "run")
    results.recommendation = Advice(verdict="fine-tune", method=method)
    results.strategies[-1].name = ran
    line = sections.surrogate_line(results)
    if expected is None:
        assert line is None
        return
    assert line is not None and expected in line
    assert line in markdown.render(results)
    assert "ran as its surrogate <strong>" in html.render(results) or "not measured" in line
