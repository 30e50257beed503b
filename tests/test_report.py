"""`abm report`: finds what a folder holds, draws its figures, embeds them with the tables."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from abm.experiments.validation import DAYS_PER_MONTH, TARGETS
from abm.io.errors import InputError
from abm.report.build import build_report
from abm.report.results import detect
from tests.synthetic import SWEEP_METRIC, write_grid_sweep, write_sensitivity
from tests.test_cli import SMALL, abm, assert_one_line_error

IMG = re.compile(r"<img alt='([^']*)' src='data:image/png;base64,([^']+)'>")


def embedded(folder: Path) -> dict[str, bytes]:
    """The images embedded in report.html, decoded, matched to the PNG files they came from."""
    text = (folder / "report.html").read_text()
    images = [base64.b64decode(data) for _, data in IMG.findall(text)]
    files = {p.name: p.read_bytes() for p in sorted((folder / "figures").glob("*.png"))}
    assert len(images) == len(files), (len(images), list(files))
    assert sorted(images) == sorted(files.values())  # every PNG embedded whole, nothing else
    return files


@pytest.mark.slow
def test_run_report_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = abm(
        "run",
        "scenarios/osimertinib-axl-days0-9.toml",
        "--days",
        "30",
        "--out",
        out,
        "--quiet",
        "--report",
        "--snapshots",
        "0",
        "10",
        "30",
        *SMALL,
    )
    assert done.returncode == 0, done.stderr
    assert detect(out) == ["run"]
    files = embedded(out)
    assert set(files) == {"run-muller.png", "run-burden.png", "run-snapshots.png"}
    text = (out / "report.html").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert f"Run: {summary['scenario']}" in text
    assert f"{summary['final']['total']:,}" in text  # the summary table beside the figures
    assert "could not be drawn" not in text


@pytest.mark.slow
def test_trial_report_tables_match_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "trial"
    done = abm("trial", "scenarios/trial-first-line.toml", "--patients", "10", "--out", out, "--json", "--report")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert detect(out) == ["trial"]
    assert set(embedded(out)) == {"trial-km.png", "trial-mechanisms.png", "trial-swimmer.png"}
    text = (out / "report.html").read_text()
    for arm, s in summary["arms"].items():
        if s["median_pfs_days"] is not None:
            assert f"<td>{s['median_pfs_days'] / DAYS_PER_MONTH:.1f} (" in text, arm
        assert f"<td>{s['orr']:.0%} (" in text  # every share with its 95% CI
    assert "<th>median PFS2, months (95% CI)</th>" in text and "<td>no next line</td>" in text


@pytest.mark.slow
def test_validation_report(tmp_path: Path) -> None:
    rows = [
        {
            "setting": t.setting,
            "mechanism": t.mechanism,
            "low": t.low,
            "high": t.high,
            "unit": t.unit,
            "source": t.source,
            "simulated": t.low,
            "ci": [t.low, t.high],
            "patients": 50,
            "pass": True,
        }
        for t in TARGETS
    ]
    (tmp_path / "validation.json").write_text(json.dumps({"patients": 50, "seed": 1, "targets": rows}))
    done = abm("report", tmp_path)
    assert done.returncode == 0, done.stderr
    assert detect(tmp_path) == ["validation"]
    assert set(embedded(tmp_path)) == {"validation-forest.png"}
    text = (tmp_path / "report.html").read_text()
    assert text.count("<td>pass</td>") == len(TARGETS)
    for t in TARGETS:
        assert t.source in text  # the label biology.md uses, beside the readable citation
    assert "review of bypass-activation resistance to TKIs in NSCLC (seed 003), section 3.1.2" in text
    assert "<th>with the 95% CI</th>" in text


@pytest.mark.slow
def test_sweep_report_has_heatmaps_lines_and_sensitivity(tmp_path: Path) -> None:
    write_grid_sweep(tmp_path, failed=(4,))
    write_sensitivity(tmp_path)
    assert detect(tmp_path) == ["sweep"]
    path = build_report(tmp_path)
    names = set(embedded(tmp_path))
    assert f"sweep-heatmap-{SWEEP_METRIC.replace('_', '-')}.png" in names
    assert sum(n.startswith("sweep-line-") for n in names) == 4  # 2 metrics x 2 parameters
    assert {"sweep-sensitivity-morris-median-pfs-days.png", "sweep-sensitivity-sobol-median-pfs-days.png"} <= names
    text = path.read_text()
    assert "Failed runs" in text and "InputError: bad" in text


@pytest.mark.slow
def test_a_folder_with_two_kinds_gets_both_sections(tmp_path: Path) -> None:
    write_grid_sweep(tmp_path)
    (tmp_path / "validation.json").write_text(json.dumps({"targets": []}))
    assert detect(tmp_path) == ["validation", "sweep"]
    text = build_report(tmp_path).read_text()
    assert "Validation against the reviewed frequencies" in text and "Sweep: AXL-inhibitor timing" in text


@pytest.mark.slow
def test_a_folder_without_results_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no result"):
        build_report(tmp_path)
    assert_one_line_error(abm("report", tmp_path), str(tmp_path), "timeseries.csv (run)", "sweep.json (sweep)")
    assert_one_line_error(abm("report", tmp_path / "missing"), "no such folder")
    assert not (tmp_path / "report.html").exists()


def test_validate_report_needs_an_output_folder() -> None:
    assert_one_line_error(abm("validate", "--report"), "--report", "needs --out DIR")
