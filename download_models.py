"""Fetch the models the service needs into MODELS_DIR, or check what is there, or build tiny random stand-ins.

    python download_models.py                 # download what is missing (resumable), then verify
    python download_models.py --check         # report; exit status 1 when a required model is missing
    python download_models.py --tiny          # tiny random models in the real layout, no network (tests, demos)
    python download_models.py --only taesd lcm-lora-sdv1-5
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
    return parser.parse_args(argv)


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
        from tortodelova.pipeline.tiny import build_tiny_models

        build_tiny_models(args.models_dir)
        status = check_models(args.models_dir)
    elif args.check:
        status = check_models(args.models_dir)
    else:
        status = ensure_models(args.models_dir, offline=False, names=args.only)
    print(format_status(args.models_dir, status))
    return 0 if status.ok else 1


if __name__ == "__main__":
    sys.exit(main())
