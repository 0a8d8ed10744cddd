"""The peers' rows (benchmarks.peers: optimum-intel's OpenVINO pipelines as FastSD CPU runs them) on the tiny models,
in the peer virtual environment the benchmark builds itself, so the script cannot rot between real runs.

Building that venv needs the package registry (optimum-intel and the transformers / huggingface-hub / diffusers it
pins are not in requirements.txt on purpose); where pip cannot reach it the test is skipped, saying so. It is built
once under .cache/peers-venv and reused."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from benchmarks import peers
from benchmarks.generation import Row, check_issue20_targets, format_table


@pytest.fixture(scope="module")
def peer_python():
    try:
        return peers.ensure_venv()
    except subprocess.CalledProcessError as exc:  # no package registry reachable: nothing to install from
        pytest.skip(f"the peer venv (optimum-intel) cannot be installed here (offline?): {exc}")


def test_peer_rows_run_on_the_tiny_models(peer_python, tiny_models_dir, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(tiny_models_dir, models, ignore=shutil.ignore_patterns("openvino", "opus-mt-ru-en"))

    found = peers.run_in_venv(models, rows=list(peers.PEER_ROWS), steps=1, threads=None, timeout=600)

    rows = {row["name"]: Row(**row) for row in found}
    assert set(rows) == {"optimum-lcm+taesd", "optimum-sd"}
    lcm, sd = rows["optimum-lcm+taesd"], rows["optimum-sd"]
    assert (lcm.scheduler, lcm.steps, lcm.evals, lcm.extrapolated) == ("lcm", 4, 4, False)
    assert (sd.scheduler, sd.steps, sd.evals, sd.evals_measured, sd.extrapolated) == ("dpm++2m-karras", 25, 25, 1,
                                                                                       True)  # fmt: skip
    for row in rows.values():
        assert row.resolution == "512x512" and row.batch == 1 and row.backend == "optimum-intel-openvino"
        assert 0 < row.step_s and 0 < row.image_s and row.load_s > 0 and row.first_s > 0
    assert (models / peers.EXPORT_DIR / "done").is_file()  # exported once from the same model folder
    assert "optimum-lcm+taesd" in format_table(list(rows.values()))


def test_issue20_targets_compare_the_rows_of_one_run():
    def row(name, image_s, step_s=1.0):
        return Row(name=name, backend="x", device="cpu", dtype="f32", resolution="512x512", batch=1, scheduler="s",
                   steps=1, evals_measured=1, evals=1, encode_s=0, denoise_s=0, step_s=step_s, decode_s=0, png_s=0,
                   image_s=image_s, peak_gib=0, extrapolated=False)  # fmt: skip

    lines = check_issue20_targets([
        row("fast+taesd-openvino", 5.0, 1.2), row("optimum-lcm+taesd", 7.0), row("standard-openvino", 50.0),
        row("optimum-sd", 55.0), row("draft+taesd-openvino", 2.0), row("fast+taesd-openvino-fused", 5.0, 1.0),
    ])
    assert lines == [
        "target: fast+taesd-openvino >= 1.2x faster than optimum-lcm+taesd per image: 1.40x PASS",
        "target: standard-openvino >= 1.2x faster than optimum-sd per image: 1.10x FAIL",
        "target: draft+taesd-openvino <= 0.5x fast+taesd-openvino per image: 0.40x PASS",
        "target: fast+taesd-openvino s/eval <= 1.1x fast+taesd-openvino-fused (one UNet, run-time LoRA): 1.20x FAIL",
    ]
