"""Fetch the models the service needs into MODELS_DIR, or check what is there, or build tiny random stand-ins.

    python download_models.py                 # download what is missing (resumable), then verify
    python download_models.py --check         # report; exit status 1 when a required model is missing
    python download_models.py --tiny          # tiny random models in the real layout, no network (tests, demos)
    python download_models.py --only taesd lcm-lora-sdv1-5
    python download_models.py --no-openvino   # skip the OpenVINO conversion (GPU-only or torch-only servers)

After the models are there, the generator is converted to OpenVINO IR under MODELS_DIR/openvino (once; minutes for
the full-size models), which the CPU backend loads; OPENVINO_INT8=weights|full converts the int8 variant instead.
"""

import argparse
import logging
import os
import sys
from pathlib import Path

from tortodelova.pipeline.models import MODEL_SPECS, ModelStatus, check_models, ensure_models


def default_models_dir(environ=os.environ) -> Path:
    return Path(environ.get("MODELS_DIR", "models"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=default_models_dir(),
                        help="default: $MODELS_DIR or ./models")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only report which models are present")
    mode.add_argument("--tiny", action="store_true", help="build tiny random models (no network)")
    parser.add_argument("--only", nargs="+", choices=list(MODEL_SPECS), metavar="NAME",
                        help=f"download only these: {', '.join(MODEL_SPECS)}")  # fmt: skip
    parser.add_argument("--no-openvino", action="store_true", help="do not convert the generator to OpenVINO")
    return parser.parse_args(argv)


def convert_openvino(models_dir: Path, environ=os.environ) -> None:
    """Convert the generator for the OpenVINO CPU backend (skipped when openvino is not installed)."""
    from tortodelova.pipeline.models import GENERATOR_DIR, is_present
    from tortodelova.pipeline.openvino_backend import available

    if not available() or not is_present(models_dir, GENERATOR_DIR):
        return
    from tortodelova.pipeline.openvino_cache import ensure_converted

    ensure_converted(models_dir, int8=environ.get("OPENVINO_INT8", "off"), progress=print)


def format_status(models_dir: Path, status: ModelStatus) -> str:
    lines = [f"models in {models_dir.resolve()}:"]
    for name, spec in MODEL_SPECS.items():
        mark = "ok     " if name in status.present else "MISSING"
        kind = "required" if spec.required else "optional"
        lines.append(f"  {mark}  {name:<16} {kind:<8}  ({spec.repo_id})")
    if not status.ok:
        lines.append("required models are missing: run `python download_models.py`")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    if args.tiny:
        from tortodelova.testing.tiny import build_tiny_models

        build_tiny_models(args.models_dir)
        status = check_models(args.models_dir)
    elif args.check:
        status = check_models(args.models_dir)
    else:
        status = ensure_models(args.models_dir, offline=False, names=args.only)
    if not args.check and not args.no_openvino and status.ok:
        convert_openvino(args.models_dir)
    print(format_status(args.models_dir, status))
    return 0 if status.ok else 1


if __name__ == "__main__":
    sys.exit(main())
