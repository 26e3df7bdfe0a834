"""Every HTML report in a real browser: headless Chromium lays the page out, a script measures
each chart (it has a size, shapes and text) and every pair of text labels inside one chart
(their boxes must not overlap), and a screenshot of the whole page is taken.

Chromium is Debian's ``chromium`` package (``make install`` installs it where apt-get is
available). Screenshots go to a temporary folder, or to ``$ADVISOR_SCREENSHOTS`` to look at.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_report import fake_benchmark

from advisor import recommend
from advisor.plugins import Plugins
from advisor.report import render

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH = 1200

# Runs in the page once it is laid out, and writes what it measured into the DOM, which
# `chromium --dump-dom` prints. Overlap: both sides of the intersection over one pixel.
PROBE = """
<script>
(() => {
  const charts = [], overlaps = [];
  document.querySelectorAll("svg").forEach((svg, i) => {
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll("text")]
      .filter(t => t.textContent.trim())
      .map(t => [t.textContent.trim(), t.getBoundingClientRect()]);
    charts.push({index: i, label: svg.getAttribute("aria-label"), width: box.width,
                 height: box.height, texts: texts.length,
                 shapes: svg.querySelectorAll("rect,circle,path,line,polygon").length});
    for (let a = 0; a < texts.length; a++) {
      for (let b = a + 1; b < texts.length; b++) {
        const [ta, A] = texts[a], [tb, B] = texts[b];
        const dx = Math.min(A.right, B.right) - Math.max(A.left, B.left);
        const dy = Math.min(A.bottom, B.bottom) - Math.max(A.top, B.top);
        if (dx > 1 && dy > 1) overlaps.push({chart: svg.getAttribute("aria-label"), a: ta, b: tb});
      }
    }
  });
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({charts, overlaps, height: document.documentElement.scrollHeight});
  document.body.appendChild(out);
})();
</script>
"""


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio"]
    return subprocess.run(
        [CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=180, check=False
    )


def _probe(page: str, where: Path) -> dict[str, Any]:
    """Lay ``page`` out in Chromium and return what PROBE measured. The page's own policy
    forbids scripts, so the copy measured here goes without it."""
    probed = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    where.write_text(probed.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = _chromium(f"--window-size={WIDTH},1000", "--dump-dom", where.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no measurement from chromium: {done.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def _screenshot(page_file: Path, height: int, shot: Path) -> None:
    size = f"--window-size={WIDTH},{min(max(height, 600), 16000)}"
    _chromium(size, f"--screenshot={shot}", page_file.as_uri())
    assert shot.is_file() and shot.stat().st_size > 10_000, f"no screenshot of {page_file}"


def _pages(tmp_path: Path) -> dict[str, str]:
    plugins = Plugins(only=["evidence"])
    prompt = recommend(plugins=plugins, labeled_examples=40, monthly_queries=1000)
    tune = recommend(
        plugins=plugins,
        labeled_examples=20_000,
        gpu_memory_gb=80,
        gpu_count=1,
        monthly_queries=5_000_000,
        expertise="ml_engineer",
    )
    results = fake_benchmark(tmp_path / "run", curve=True, curve_sizes=[12, 24, None])
    from advisor.report.benchmark import html as benchmark_html

    return {
        "recommendation-prompt": render(prompt, "html"),
        "recommendation-fine-tune": render(tune, "html"),
        "benchmark": benchmark_html.render(results),
    }


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make install adds it)")
def test_every_report_renders_its_charts_without_overlapping_labels(tmp_path):
    shots = Path(os.environ.get("ADVISOR_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    expected = {
        "recommendation-prompt": {"Rule contributions", "Cost per method"},
        "recommendation-fine-tune": {"Rule contributions", "Cost per method"},
        "benchmark": {"scores", "cost vs score", "loss curves of fake-ft", "learning curve"},
    }
    for name, page in _pages(tmp_path).items():
        measured = _probe(page, tmp_path / f"{name}.probe.html")
        charts = {c["label"]: c for c in measured["charts"]}
        assert expected[name] <= set(charts), f"{name}: charts missing"
        for c in charts.values():
            assert c["width"] > 100 and c["height"] > 100, f"{name}: empty chart {c}"
            assert c["texts"] > 0 and c["shapes"] > 0, f"{name}: chart without content {c}"
        assert measured["overlaps"] == [], f"{name}: overlapping labels"
        page_file = tmp_path / f"{name}.html"
        page_file.write_text(page, encoding="utf-8")
        _screenshot(page_file, measured["height"], shots / f"{name}.png")
