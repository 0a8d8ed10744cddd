"""Worker memory per backend, each in a fresh process: RSS after loading, after a standard and after a fast request.

    python -m benchmarks.memory                     # torch and openvino, 512x512, real-size random SD 1.5

In one long benchmark process the RSS of earlier rows lingers (freed memory is not always returned to the OS), so
``benchmarks.generation``'s per-row peaks are upper bounds; this measures what one worker process holds. All three
qualities run in the same process, as in the service; on OpenVINO they share one UNet with run-time LoRA branches
(``openvino-fused``: the pre-issue-20 layout, the LCM-LoRA fused into a second UNet compiled on the first fast
request, no draft adapter). Requests run 1 step (memory does not depend on the count).

RSS is split as Linux counts it (``/proc/self/status``): *private* (RssAnon: the process's own memory, what another
worker cannot share and the kernel cannot drop) and *file* (RssFile: mapped files, here the OpenVINO IR ``.bin``
that the CPU plugin keeps mapped; clean page cache, shared by every worker mapping the same file and dropped by the
kernel under memory pressure).
"""

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

from benchmarks.generation import DEFAULT_CACHE, NEGATIVE, PROMPT, build_models


def gib() -> dict[str, float]:
    """RSS, its private (anonymous) part and its file-backed part, GiB."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                fields[name] = int(value.split()[0]) / 1024**2
    return {"rss": fields["VmRSS"], "private": fields["RssAnon"], "file": fields["RssFile"]}


def measure(backend: str, models_dir: str) -> dict:
    from tortodelova.pipeline.generator import CakeGenerator, ImageRequest

    lora = "fused" if backend == "openvino-fused" else "runtime"  # the pre-issue-20 layout: LCM in a second UNet
    generator = CakeGenerator.from_pretrained(models_dir, backend=backend.removesuffix("-fused"), sizes=None,
                                              openvino_lora=lora)  # fmt: skip
    figures = {"backend": generator.backend + ("-fused" if lora == "fused" else ""), "loaded_gib": gib()}
    for quality in ("standard", "fast", "draft"):
        generator(ImageRequest(PROMPT, NEGATIVE, 512, 512, seeds=[1], quality=quality, steps=1))
        figures[f"after_{quality}_gib"] = gib()
    figures["peak_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["torch", "openvino"])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--models-dir", default=str(DEFAULT_CACHE))
    parser.add_argument("--json", default=None, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.models_dir)))
        return 0
    build_models(Path(args.models_dir))
    rows = []  # each backend in a fresh process
    for backend in args.backends:
        out = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--one", backend, "--models-dir",
                              args.models_dir], capture_output=True, text=True, check=True).stdout  # fmt: skip
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print("GiB: RSS (private + file)")
    print(f"{'backend':<16} {'loaded':>18} {'+standard':>18} {'+fast':>18} {'+draft':>18} {'peak RSS':>9}")
    for row in rows:
        cells = [row[key] for key in ("loaded_gib", "after_standard_gib", "after_fast_gib", "after_draft_gib")]
        print(f"{row['backend']:<16} " + " ".join(f"{c['rss']:>5.2f} ({c['private']:.2f}+{c['file']:.2f})".rjust(18)
                                                   for c in cells) + f" {row['peak_gib']:>9.2f}")  # fmt: skip
    if args.json:
        from benchmarks.generation import cpu_name

        with open(args.json, "w") as out:
            json.dump({"machine": cpu_name(), "rows": rows}, out, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
