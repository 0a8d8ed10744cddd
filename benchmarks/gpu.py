"""GPU rows for one table: standard and fast, 512x512 and 512x768, batch 1 and 4, with and without the GPU
optimisations the pipeline uses (SDPA attention, channels_last, torch.compile of the UNet after warm-up).

    python -m benchmarks.gpu                 # what benchmarks/gpu.sh runs after installing CUDA torch
    python -m benchmarks.gpu --quick         # 512x512 only
    python -m benchmarks.gpu --device cpu --models-dir .cache/tiny-models/<hash> --quick --variants plain sdpa
                                             # the script's own code on the tiny models (tests/benchmarks do this)

Random weights in the real SD 1.5 architecture (``benchmarks.generation.build_models``), loaded through
``CakeGenerator.from_pretrained`` (torch backend, bf16/fp16 as the service chooses on CUDA). Every configuration
runs a warm-up request, then ``--repeats`` timed requests (CUDA synchronised; the fastest kept). "plain" swaps the
attention processor for diffusers' classic (non-SDPA) one and keeps the contiguous memory format.
Targets (issue 14, H200-class): standard < 0.3 s and fast < 0.08 s per 512x512 image, batch 4 >= 1.5x throughput.
"""

import argparse
import json
import time
from pathlib import Path

import torch

from benchmarks.generation import DEFAULT_CACHE, NEGATIVE, PROMPT, build_models
from tortodelova.pipeline.models import GENERATOR_DIR

VARIANTS = ("plain", "sdpa", "sdpa+channels_last", "sdpa+channels_last+compile")


def load(models_dir: Path, variant: str, device: str = "cuda"):
    from diffusers.models.attention_processor import AttnProcessor

    from tortodelova.pipeline.generator import CakeGenerator

    generator = CakeGenerator.from_pretrained(models_dir, device=device, backend="torch", sizes=None,
                                              channels_last="channels_last" in variant,
                                              compile="compile" in variant)  # fmt: skip
    if variant == "plain":
        generator.unet.set_attn_processor(AttnProcessor())
        generator.vae.set_attn_processor(AttnProcessor())
    return generator


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(generator, request, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        sync()
        started = time.perf_counter()
        generator(request)
        sync()
        best = min(best, time.perf_counter() - started)
    return best


def peak_gib(device: str) -> float:
    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 1024**3
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(argv: list[str] | None = None) -> int:
    from tortodelova.pipeline.generator import ImageRequest

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--device", default="cuda", help="cuda; cpu only to check the script on the tiny models")
    parser.add_argument("--steps", type=int, default=None, help="override the qualities' steps (script checks only)")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: this benchmark is for a GPU machine (see benchmarks/gpu.sh)")
    if not (args.models_dir / GENERATOR_DIR).is_dir():
        build_models(args.models_dir)
    sizes = [(512, 512)] if args.quick else [(512, 512), (512, 768)]
    rows = []
    for variant in args.variants:
        generator = load(args.models_dir, variant, args.device)
        for quality in ("standard", "fast"):
            for width, height in sizes:
                for batch in (1, 4):
                    request = ImageRequest(PROMPT, NEGATIVE, width, height, seeds=list(range(batch)), quality=quality,
                                           steps=args.steps)
                    started = time.perf_counter()
                    generator(request)  # warm-up: compilation for this shape, cuDNN autotuning
                    warmup = time.perf_counter() - started
                    seconds = timed(generator, request, args.repeats)
                    rows.append({"variant": variant, "quality": quality, "size": f"{width}x{height}", "batch": batch,
                                 "request_s": seconds, "image_s": seconds / batch, "warmup_s": warmup,
                                 "dtype": str(generator.dtype).removeprefix("torch."),
                                 "peak_gib": peak_gib(args.device)})  # fmt: skip
                    print(f"  {variant} {quality} {width}x{height} b{batch}: {seconds / batch:.3f} s/image", flush=True)
        del generator
        if args.device == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()

    if args.device == "cuda":
        name = torch.cuda.get_device_name()
    else:
        from benchmarks.generation import cpu_name

        name = cpu_name()
    print(f"\n{name}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    print(f"{'variant':<28} {'quality':<9} {'size':<8} {'batch':>5} {'s/image':>8} {'img/s':>7} {'warm-up s':>9} "
          f"{'peak GiB':>8}")  # fmt: skip
    for row in rows:
        print(f"{row['variant']:<28} {row['quality']:<9} {row['size']:<8} {row['batch']:>5} {row['image_s']:>8.3f} "
              f"{1 / row['image_s']:>7.1f} {row['warmup_s']:>9.1f} {row['peak_gib']:>8.2f}")  # fmt: skip
    best = {}
    for row in rows:
        key = (row["quality"], row["size"], row["batch"])
        best[key] = min(best.get(key, float("inf")), row["image_s"])
    for quality, limit in (("standard", 0.3), ("fast", 0.08)):
        value = best.get((quality, "512x512", 1))
        if value is not None:
            print(f"target: {quality} 512x512 < {limit} s/image: {value:.3f} {'PASS' if value < limit else 'FAIL'}")
        if (quality, "512x512", 4) in best and value:
            gain = value / best[(quality, "512x512", 4)]
            print(f"target: {quality} batch 4 >= 1.5x throughput: {gain:.2f}x {'PASS' if gain >= 1.5 else 'FAIL'}")
    if args.json:
        args.json.write_text(json.dumps({"device": name, "torch": torch.__version__, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
