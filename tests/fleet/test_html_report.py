"""The HTML fleet report: self-contained, and rendered by a real headless
Chromium (Debian's chromium + chromium-driver, driven with selenium): the
repo table and the rule chart are laid out, the bars are proportional to the
counts, the patch links resolve, nothing is fetched, and a screenshot is kept
with the test's files (and in $TORCHMIGRATE_TEST_ARTIFACTS when set).

TORCHMIGRATE_UPDATE_SCREENSHOT=1 also writes the README's picture
(docs/images/fleet-report.png)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.fleet.fleetgen import git, make_repo, tm
from torchmigrate.html_report import render_html
from torchmigrate.report import FileOutcome, RunReport

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[2]
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _finding(rule, safety, line=3, message="a message"):
    return {
        "rule": rule,
        "line": line,
        "col": 1,
        "source_line": line,
        "safety": safety,
        "message": message,
        "short": message,
        "suggestion": None,
        "applied": safety == "applied",
    }


def _report(verification=None) -> RunReport:
    outs = [
        FileOutcome(
            "a/train.py",
            "a",
            "changed",
            fixes=[_finding("TM001", "safe")] * 3,
            findings=[_finding("TM202", "manual", message="<script>alert(1)</script> & co")],
            old="x = Variable(y)\n",
            new="x = y\n",
        ),
        FileOutcome("b/m.py", "b", "failed", errors=["b/m.py:3: cannot parse: bad input"]),
        FileOutcome("c/u.py", "c", "unchanged"),
    ]
    return RunReport("upgrade", outs, wrote=True, verification=verification)


def test_the_page_is_self_contained_and_escapes_everything():
    from codemods import all_rules

    text = render_html(_report(), all_rules())
    assert "<script" not in text  # the finding's text is escaped, and there is no script
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in text
    assert "<link" not in text and "@import" not in text and "url(" not in text
    for attr in re.findall(r'(?:src|href)="([^"]*)"', text):
        assert not re.match(r"^(?:[a-z]+:)?//", attr), attr  # no network address
    assert text.count('<tr data-status="') == 3
    assert 'data-status="failed"' in text and 'data-status="clean"' in text
    assert "verified" not in text  # no --verify, no column
    with_verify = render_html(
        _report({"script": "t.py", "verdict": "match", "repos": {"a": "match", "b": "diverged"}}),
        all_rules(),
    )
    assert "<th>verified</th>" in with_verify and 'class="v-other">diverged' in with_verify


def _driver(tmp_path: Path):
    if not CHROMIUM.exists():
        pytest.skip(
            "headless browser test: Debian's chromium is not installed at /usr/bin/chromium "
            "(apt-get install -y chromium chromium-driver; .ci/run does)"
        )
    if not CHROMEDRIVER.exists():
        pytest.skip("headless browser test: /usr/bin/chromedriver missing (chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path, prefix='chromium-')}")
    opts.add_argument("--window-size=1280,1400")
    # the explicit driver path keeps selenium from looking for (or fetching) one
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)


def test_report_renders_in_headless_chromium(tmp_path):
    from selenium.webdriver.common.by import By

    names = ["dcgan", "vae", "seq2seq", "a2c"]
    repos = [make_repo(tmp_path / "lab" / name, i) for i, name in enumerate(names)]
    (repos[2] / "pkg" / "broken.py").write_text("import torch\nx = Variable(\n")
    git(repos[2], "add", "-A")
    git(repos[2], "commit", "-qm", "broken")
    clean = tmp_path / "lab" / "plots"
    clean.mkdir()
    (clean / "plot.py").write_text("import matplotlib\n")
    report = tmp_path / "out" / "report.html"
    patches = tmp_path / "out" / "patches"
    rel = [f"lab/{p.name}" for p in repos + [clean]]
    r = tm(
        "upgrade",
        "--unsafe-fixes",
        "--patches",
        "out/patches",
        "--summary",
        "out/report.html",
        *rel,
        cwd=tmp_path,
    )
    assert r.returncode == 1, r.stderr  # the broken file
    assert patches.is_dir()
    driver = _driver(tmp_path)
    try:
        driver.get(report.as_uri())
        assert driver.title == "torchmigrate fleet report"
        rows = driver.find_elements(By.CSS_SELECTOR, "#repo-table tbody tr")
        assert len(rows) == 5
        assert all(row.is_displayed() and row.size["height"] > 10 for row in rows)
        statuses = [row.get_attribute("data-status") for row in rows]
        assert statuses == ["review", "review", "failed", "review", "clean"]
        cells = rows[0].find_elements(By.TAG_NAME, "td")
        assert cells[0].text == "lab/dcgan"
        assert cells[3].text == "3"  # changed: train.py, model.py, the notebook

        chart = driver.find_element(By.ID, "rule-chart")
        assert chart.is_displayed() and chart.size["width"] > 500 and chart.size["height"] > 100
        bars = chart.find_elements(By.CSS_SELECTOR, "rect")
        assert len(bars) >= 8
        widths: dict = {}
        for bar in bars:
            rule = bar.get_attribute("data-rule")
            widths[rule] = widths.get(rule, 0.0) + bar.rect["width"]
        # bar lengths are proportional to the counts printed next to them
        counts = {
            t.text.split()[0]: None
            for t in chart.find_elements(By.CSS_SELECTOR, "text:not(.count)")
        }
        totals = [int(t.text) for t in chart.find_elements(By.CSS_SELECTOR, "text.count")]
        assert len(totals) == len(counts) == len(widths)
        per_unit = [w / n for w, n in zip(widths.values(), totals)]
        assert max(per_unit) - min(per_unit) < 0.05 * max(per_unit) + 1.5

        links = driver.find_elements(By.CSS_SELECTOR, "#repo-table a")
        patches_linked = [a for a in links if a.text == "patch"]
        assert len(patches_linked) == 3  # the failed repo gets no patch...
        for link in patches_linked:
            assert Path(link.get_attribute("href").removeprefix("file://")).is_file()
        (diff_link,) = [a for a in links if a.text == "diff"]  # ...but its diff is shown
        anchor = diff_link.get_attribute("href").split("#")[1]
        assert driver.find_element(By.ID, anchor).tag_name == "details"
        assert driver.find_elements(By.CSS_SELECTOR, "#findings-table tbody tr")
        assert (
            "cannot parse"
            in driver.find_element(By.ID, "failures")
            .find_element(By.XPATH, "following-sibling::ul")
            .text
        )
        # nothing was fetched: no style sheet, font, image or script
        assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0

        shot = tmp_path / "fleet-report.png"
        driver.set_window_size(1280, 1400)
        assert driver.save_screenshot(str(shot))
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
        artifacts = os.environ.get("TORCHMIGRATE_TEST_ARTIFACTS")
        if artifacts:
            Path(artifacts).mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, Path(artifacts) / shot.name)
        if os.environ.get("TORCHMIGRATE_UPDATE_SCREENSHOT") == "1":
            shutil.copy(shot, ROOT / "docs" / "images" / "fleet-report.png")
    finally:
        driver.quit()
