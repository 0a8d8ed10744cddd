"""The prepared GPU run (benchmarks/gpu.sh → benchmarks.gpu) has no GPU in CI; its own code runs here on the CPU with
the tiny models, so the one run a GPU machine gets is not spent on a broken script."""
from __future__ import annotations

import json

from benchmarks import gpu


def test_the_gpu_benchmark_runs_end_to_end_on_the_tiny_models(tiny_models_dir, tmp_path, capsys):
    out = tmp_path / "gpu.json"

    assert gpu.main(["--device", "cpu", "--models-dir", str(tiny_models_dir), "--quick", "--repeats", "1",
                     "--steps", "2", "--variants", "plain", "sdpa", "--json", str(out)]) == 0

    rows = json.loads(out.read_text())["rows"]
    assert {(row["variant"], row["quality"], row["batch"]) for row in rows} == {
        (variant, quality, batch)
        for variant in ("plain", "sdpa") for quality in ("standard", "fast") for batch in (1, 4)}
    assert all(row["size"] == "512x512" and row["image_s"] > 0 for row in rows)
    printed = capsys.readouterr().out
    assert "target: standard 512x512 < 0.3 s/image" in printed and "target: fast batch 4 >= 1.5x throughput" in printed
