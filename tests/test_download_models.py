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


def test_download_converts_the_generator_for_openvino_once(tiny_models_dir, tmp_path, capsys):
    import shutil

    from tortodelova.pipeline.openvino_cache import CACHE_DIR, is_valid

    copy = tmp_path / "models"
    shutil.copytree(tiny_models_dir, copy, ignore=shutil.ignore_patterns(CACHE_DIR))

    # Everything is present, so nothing is downloaded; the conversion runs once, with a progress message.
    assert main(["--models-dir", str(copy), "--only", TAESD_DIR]) == 0
    first = capsys.readouterr().out
    assert main(["--models-dir", str(copy), "--only", TAESD_DIR]) == 0
    again = capsys.readouterr().out

    folders = sorted(p for p in (copy / CACHE_DIR).iterdir() if p.is_dir())
    assert [p.name.rsplit("-", 1)[0] for p in folders] == ["taesd", "text-encoder", "unet", "unet-lora", "vae-decoder"]
    assert all(is_valid(p, p.name.rsplit("-", 1)[1]) for p in folders)
    assert "OpenVINO: converting" in first and "OpenVINO" not in again


def test_tiny_without_openvino_skips_the_conversion(tmp_path):
    from tortodelova.pipeline.openvino_cache import CACHE_DIR

    assert main(["--tiny", "--no-openvino", "--models-dir", str(tmp_path)]) == 0
    assert not (tmp_path / CACHE_DIR).exists()
