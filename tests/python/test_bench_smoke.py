"""The benchmark runner still works end to end: one tiny op, timed once (no speed is asserted)."""
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "python"

pytest.importorskip("torch")


@pytest.fixture
def bench_all(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import bench_all

    return bench_all


def test_smoke_run_writes_table_json_chart_and_readme(bench_all, tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# title\n\n## Benchmarks\n\n<!-- bench-table:start (written by bench/python/bench_all.py "
                      "--update-readme) -->\nold table\n<!-- bench-table:end -->\n\nprose after\n")
    assert bench_all.main(["--smoke", "--out", str(tmp_path / "out"), "--update-readme", "--readme", str(readme)]) == 0
    out = capsys.readouterr().out
    assert "add 4 float32" in out and "ember/best" in out

    results = json.loads((tmp_path / "out" / "results.json").read_text())
    row = results["rows"][0]
    assert row["suite"] == "ops" and row["ember"] > 0 and row["torch"] > 0
    assert row["ratio"] == pytest.approx(row["ember"] / row[row["best_peer"]])
    assert results["machine"]["threads"] >= 1 and results["machine"]["versions"]["ember"]
    assert "isa" in results["machine"]["onednn"]

    if results["machine"]["versions"]["matplotlib"]:
        assert (tmp_path / "out" / "ratios.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    text = readme.read_text()
    assert "old table" not in text and "| add 4 float32 (a + a) | us/call |" in text
    assert text.startswith("# title\n") and text.endswith("prose after\n")


def test_a_failing_suite_is_reported_as_skipped(bench_all, monkeypatch):
    def broken(suite, quick, threads):
        raise subprocess.CalledProcessError(1, ["bench_deploy.py"], stderr="FileNotFoundError: no CMake package\n")

    monkeypatch.setattr(bench_all, "run_suite", broken)
    monkeypatch.setattr(bench_all, "missing_libraries", lambda suite: [])
    report = bench_all.run_all(["deploy"], quick=True, threads=1)
    assert report["deploy"]["status"] == "skipped"
    assert "no CMake package" in report["deploy"]["reason"]
    rows = bench_all.normalise(report)
    assert rows[0]["ratio"] is None and rows[0]["notes"].startswith("skipped: ")


def test_a_suite_with_missing_libraries_is_skipped(bench_all, monkeypatch):
    monkeypatch.setattr(bench_all, "missing_libraries", lambda suite: ["onnxruntime"])
    report = bench_all.run_all(["deploy"], quick=True, threads=1)
    assert report["deploy"] == {"status": "skipped", "reason": "not installed: onnxruntime", "seconds": 0.0}


def test_ratio_and_targets_use_the_best_peer(bench_all):
    raw = {"workload": "w", "ember": 2.0, "torch": 8.0, "numpy": 4.0}
    row = bench_all.norm_row("ops", raw, "us/call", targets=[{"ratio": 0.5, "vs": "torch"}])
    assert (row["best_peer"], row["ratio"]) == ("numpy", 0.5)
    assert row["targets"] == [{"ratio": 0.5, "vs": "torch", "met": True}]


def test_targets_that_are_not_ratios_and_their_text(bench_all):
    import bench_report

    raw = {"workload": "matmul", "ember": 10.0, "torch": 10.4, "ember_pct_of_sgemm": 84.0, "flops": 2e9}
    (row,) = bench_all.rows_ops({"rows": [raw]})
    assert [t["met"] for t in row["targets"]] == [True, False]  # 1.04x torch's GFLOP/s, 84 % of sgemm
    assert bench_report.target_text(row) == "GFLOP/s >= 0.95x torch: met, >= 85% of sgemm: missed"
    compile_row = bench_all.rows_footprint({"rows": [{"workload": "compile", "ember": 5.5}], "compile": {}})[0]
    assert bench_report.target_text(compile_row) == "<= 6 s: met"
    skipped = bench_all.rows_footprint({"rows": [{"workload": "compile", "skipped": "no g++"}], "compile": {}})[0]
    assert skipped["targets"] == []


def test_int8_bench_smoke_quantizes_exports_and_times(bench_all):
    # bench_int8.py --smoke: a random-init Fashion CNN, quantized, exported four ways, timed once (no C++ build)
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    import bench_int8

    result = bench_int8.run(quick=True, threads=1, smoke=True)
    assert [(r["precision"], r["batch"]) for r in result["rows"]][:4] == [("float32", 1), ("float32", 256),
                                                                         ("int8", 1), ("int8", 256)]
    assert "int8" in result["quantized"] and result["machine"]["isa"]
    assert result["agreement"]["onnxruntime int8"]["same_top1"] > 0.9
    rows = bench_all.rows_int8(result)
    int8_256 = rows[3]
    assert int8_256["suite"] == "int8" and int8_256["best_peer"] == "onnxruntime" and int8_256["ember"] > 0
    assert [t.get("vs") for t in int8_256["targets"]] == ["onnxruntime", None]
