import subprocess
import sys
from pathlib import Path

from download_models import default_models_dir, main, parse_args
from tortodelova.pipeline.models import MODEL_SPECS, TAESD_DIR

ROOT = Path(__file__).resolve().parents[1]


def test_check_reports_missing_models_and_fails(tmp_path):
    completed = subprocess.run(
        [sys.executable, "download_models.py", "--check", "--models-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert completed.returncode == 1
    for name in MODEL_SPECS:
        assert f"MISSING  {name}" in completed.stdout
    assert "python download_models.py" in completed.stdout


def test_check_passes_on_tiny_models(tiny_models_dir, capsys):
    assert main(["--check", "--models-dir", str(tiny_models_dir)]) == 0

    output = capsys.readouterr().out
    assert "MISSING" not in output
    assert output.count("ok     ") == len(MODEL_SPECS)


def test_missing_optional_model_still_passes_check(tiny_models_dir, tmp_path, capsys):
    import shutil

    copy = tmp_path / "models"
    shutil.copytree(tiny_models_dir, copy, ignore=shutil.ignore_patterns(TAESD_DIR))

    assert main(["--check", "--models-dir", str(copy)]) == 0
    assert f"MISSING  {TAESD_DIR}" in capsys.readouterr().out


def test_models_dir_defaults_to_env_then_models():
    assert default_models_dir({"MODELS_DIR": "/srv/models"}) == Path("/srv/models")
    assert default_models_dir({}) == Path("models")
    assert parse_args(["--only", "taesd", "lcm-lora-sdv1-5"]).only == ["taesd", "lcm-lora-sdv1-5"]
