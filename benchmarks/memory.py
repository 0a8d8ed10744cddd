"""Worker memory per backend, each in a fresh process: RSS after loading, after a standard and after a fast request.

    python -m benchmarks.memory                     # torch and openvino, 512x512, real-size random SD 1.5

In one long benchmark process the RSS of earlier rows lingers (freed memory is not always returned to the OS), so
``benchmarks.generation``'s per-row peaks are upper bounds; this measures what one worker process holds. Both
qualities run in the same process, as in the service: on OpenVINO the second (LCM-fused) UNet is compiled on the
first fast request, so "after fast" includes both UNets. Requests run 1 step (memory does not depend on the count).
"""

import argparse
import json
import resource
import subprocess
import sys

from benchmarks.generation import DEFAULT_CACHE, NEGATIVE, PROMPT, build_models


def gib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024**3


def measure(backend: str, models_dir: str) -> dict:
    from tortodelova.pipeline.generator import CakeGenerator, ImageRequest

    generator = CakeGenerator.from_pretrained(models_dir, backend=backend, sizes=None)
    figures = {"backend": generator.backend, "loaded_gib": gib()}
    for quality in ("standard", "fast"):
        generator(ImageRequest(PROMPT, NEGATIVE, 512, 512, seeds=[1], quality=quality, steps=1))
        figures[f"after_{quality}_gib"] = gib()
    figures["peak_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["torch", "openvino"])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--models-dir", default=str(DEFAULT_CACHE))
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.models_dir)))
        return 0
    build_models(DEFAULT_CACHE)
    rows = []
    for backend in args.backends:
        out = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--one", backend, "--models-dir",
                              args.models_dir], capture_output=True, text=True, check=True).stdout  # fmt: skip
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{'backend':<16} {'loaded GiB':>10} {'+standard':>10} {'+fast':>10} {'peak GiB':>9}")
    for row in rows:
        print(f"{row['backend']:<16} {row['loaded_gib']:>10.2f} {row['after_standard_gib']:>10.2f} "
              f"{row['after_fast_gib']:>10.2f} {row['peak_gib']:>9.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
