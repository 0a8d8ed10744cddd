"""Generation speed: the service's qualities against the original service's configuration, in one run.

    python -m benchmarks.generation                       # CPU default set, 512×512, a few minutes on 2 cores
    python -m benchmarks.generation --device cuda --resolutions 512x512 768x512 --batch-sizes 1 4 --steps 25
    python -m benchmarks.generation --rows original standard standard-bf16 fast+taesd fast+taesd-bf16 --json out.json

The models have RANDOM weights in the exact DreamShaper 8 / SD 1.5 architecture (UNet 860M with 768-wide
cross-attention, the SD VAE, the CLIP ViT-L/14 text encoder, a rank-64 LCM-LoRA with the real module set, TAESD),
written once to a cache folder in the real on-disk layout and loaded through ``CakeGenerator.from_pretrained``,
the code the worker runs. Random weights cost the same FLOPs as trained ones, so the timings carry over.

Rows with many steps are measured with ``--steps`` steps and extrapolated linearly in the number of UNet evaluations
(marked ``*``); encoding, decoding and PNG are always measured.
"""

import argparse
import gc
import json
import logging
import os
import platform
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from tortodelova.pipeline.models import DRAFT_LORA_DIR, GENERATOR_DIR, LCM_LORA_DIR, TAESD_DIR

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = ROOT / ".cache" / "bench-models" / "sd15-random-v2"  # v2: + the draft (Hyper-SD) LoRA
PROMPT = (
    "a delicate two-tier wedding cake with dusty rose fondant, fresh peonies and gold leaf, on a marble stand, "
    "professional food photography, soft studio light, high detail"
)
NEGATIVE = "blurry, deformed, text, watermark, low quality"

# The service as it was: StableDiffusionPipeline defaults (PNDM), 20 steps, guidance 7.5, fp32, attention slicing.
ORIGINAL = {"steps": 20, "guidance": 7.5, "attention_slicing": "max"}
ROWS = (
    "original", "standard", "fast", "fast+taesd", "standard-bf16", "fast+taesd-bf16", "standard-fp32",
    "fast+taesd-fp32", "standard-channels-last", "fast-fused", "standard-openvino", "fast+taesd-openvino",
    "standard-openvino-fp32", "fast+taesd-openvino-fp32", "standard-openvino-int8w", "fast+taesd-openvino-int8w",
    "standard-openvino-int8", "fast+taesd-openvino-int8",
    "draft+taesd", "draft+taesd-openvino", "fast+taesd-openvino-fused", "standard-openvino-fused", "optimum-lcm+taesd",
    "optimum-sd",
)  # fmt: skip
# Issue 20: "draft+taesd-openvino" is «Черновик» (Hyper-SD 1-step LoRA, TCD, TAESD) on the one UNet with run-time
# LoRAs; "fast+taesd-openvino-fused" is fast as it ran before issue 20 (the LCM-LoRA fused into a second UNet), the
# per-step baseline; "optimum-*" are the peers (benchmarks.peers, run in their own virtual environment).
# "standard"/"fast+taesd" are the torch backend in the service's own dtype choice (bf16 on CPUs with
# AMX/AVX512-BF16, else fp32); the -fp32 rows show what that choice is worth on this machine. "-openvino" rows run
# the OpenVINO backend (what GENERATION_BACKEND=auto picks on a CPU) in the same precision choice; -int8w / -int8 are
# its OPENVINO_INT8=weights / full variants (converted once into the cache, minutes).
DEFAULT_ROWS = ("original", "standard", "fast+taesd", "standard-openvino", "fast+taesd-openvino")

SD15_UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(320, 640, 1280, 1280),
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=768, attention_head_dim=8, norm_num_groups=32,
)  # fmt: skip
SD15_VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(128, 256, 512, 512), layers_per_block=2,
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, norm_num_groups=32,
    sample_size=512, scaling_factor=0.18215,
)  # fmt: skip
CLIP_VIT_L14_TEXT = dict(
    vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
    max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768,
)  # fmt: skip
LCM_LORA_RANK = 64
# Hyper-SD15-1step-lora.safetensors is 269 MB: twice the 135 MB of the rank-64 fp16 LCM-LoRA over the same kind of
# module set, so rank 64 stored in fp32 or rank 128 in fp16; the random one takes the costlier reading (rank 128).
DRAFT_LORA_RANK = 128
FULL_MEASURE_STEPS = 6  # fast (LCM) schedules are short enough to always run in full


def build_models(models_dir: Path) -> dict:
    """Write random SD 1.5-architecture models in the real layout, once; returns their parameter counts."""
    marker = models_dir / "built.json"
    if marker.is_file():
        return json.loads(marker.read_text())
    from diffusers import AutoencoderKL, AutoencoderTiny, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from tortodelova.testing.tiny import save_draft_lora, save_generator, save_lcm_lora, write_clip_tokenizer

    print(f"building random SD 1.5 models in {models_dir} (once)...", flush=True)
    generator_dir = models_dir / GENERATOR_DIR
    tokens = write_clip_tokenizer(generator_dir / "tokenizer")
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(CLIPTextConfig(**CLIP_VIT_L14_TEXT, bos_token_id=tokens - 2, eos_token_id=tokens - 1,
                                                pad_token_id=tokens - 1))  # fmt: skip
    unet = UNet2DConditionModel(**SD15_UNET)
    vae = AutoencoderKL(**SD15_VAE)
    counts = {"unet": unet.num_parameters(), "vae": vae.num_parameters(), "text_encoder": text_encoder.num_parameters()}
    save_generator(generator_dir, unet=unet, vae=vae, text_encoder=text_encoder)
    counts["lcm_lora"] = save_lcm_lora(models_dir / LCM_LORA_DIR, unet, rank=LCM_LORA_RANK, init_std=1e-3)
    unet = UNet2DConditionModel.from_pretrained(generator_dir / "unet", variant="fp16")  # one without an adapter
    counts["draft_lora"] = save_draft_lora(models_dir / DRAFT_LORA_DIR, unet, rank=DRAFT_LORA_RANK, init_std=1e-3)
    taesd = AutoencoderTiny()
    taesd.save_pretrained(models_dir / TAESD_DIR)
    counts["taesd"] = taesd.num_parameters()
    marker.write_text(json.dumps(counts))
    return counts


class PeakMemory:
    """Peak memory while the block runs: CUDA allocator peak, or the process RSS sampled every 10 ms on CPU."""

    def __init__(self, device: torch.device):
        self.device = device
        self.peak = 0

    def __enter__(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            return self
        import psutil

        process = psutil.Process()
        self._stop = threading.Event()

        def sample():
            while not self._stop.wait(0.01):
                self.peak = max(self.peak, process.memory_info().rss)

        self.peak = process.memory_info().rss
        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            self.peak = torch.cuda.max_memory_allocated()
        else:
            self._stop.set()
            self._thread.join()


@dataclass
class Row:
    name: str
    backend: str  # torch | openvino-bf16 | openvino-f32 (+ -int8w / -int8)
    device: str
    dtype: str
    resolution: str
    batch: int
    scheduler: str
    steps: int  # steps of the configuration reported
    evals_measured: int  # UNet evaluations actually run
    evals: int  # UNet evaluations of the configuration reported
    encode_s: float
    denoise_s: float  # the evaluations actually run, wall clock
    step_s: float  # per UNet evaluation (whole batch): the fastest one measured
    decode_s: float
    png_s: float
    image_s: float  # end to end per image: (encode + evals × step_s + decode + png) / batch
    peak_gib: float
    extrapolated: bool
    speedup: float | None = None  # original's image_s / this image_s, same resolution and batch
    load_s: float | None = None  # worker start: loading + compiling the generator (IR cache already converted)
    first_s: float | None = None  # the first (1-step) image after that, at this quality: first-use compile, warm-up


def unet_evals(scheduler, steps: int) -> int:
    scheduler.set_timesteps(steps)
    return len(scheduler.timesteps)


class StepClock:
    """Step callback that timestamps every UNet evaluation; the fastest one is the per-evaluation cost.

    The minimum rather than the mean: on a shared machine other processes only ever add time, so the fastest
    evaluation is the closest to the configuration's own cost, and it is taken the same way for every row.
    """

    def __init__(self, device):
        self.device = device
        self.times = [time.perf_counter()]

    def __call__(self, *args):
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        self.times.append(time.perf_counter())
        return args[-1] if len(args) == 4 else None  # diffusers' callback_on_step_end returns its tensor dict

    @property
    def per_eval(self) -> float:
        return min(b - a for a, b in zip(self.times, self.times[1:]))


def make_row(name, *, device, dtype, size, batch, scheduler, steps, evals, clock, timings, png_s, peak,
             backend="torch"):
    evals_measured = len(clock.times) - 1
    total = timings["encode"] + clock.per_eval * evals + timings["decode"] + png_s
    return Row(
        name=name, backend=backend, device=device.type, dtype=str(dtype).removeprefix("torch."),
        resolution=f"{size[0]}x{size[1]}",
        batch=batch, scheduler=scheduler, steps=steps, evals_measured=evals_measured, evals=evals,
        encode_s=timings["encode"], denoise_s=timings["denoise"], step_s=clock.per_eval, decode_s=timings["decode"],
        png_s=png_s, image_s=total / batch, peak_gib=peak / 1024**3, extrapolated=evals != evals_measured,
    )  # fmt: skip


def encode_pngs(images) -> float:
    from tortodelova.pipeline.generator import png_bytes

    started = time.perf_counter()
    for image in images:
        png_bytes(image, {"prompt": PROMPT, "seed": "42", "steps": "20", "model": GENERATOR_DIR})
    return time.perf_counter() - started


@torch.inference_mode()
def run_original(models_dir: Path, *, device, size, batch, steps) -> Row:
    """The original service's pipeline: default PNDM scheduler, guidance 7.5, fp32, attention slicing "max"."""
    from diffusers import PNDMScheduler, StableDiffusionPipeline

    from tortodelova.testing.tiny import SD15_SCHEDULER

    pipe = StableDiffusionPipeline.from_pretrained(
        models_dir / GENERATOR_DIR, dtype=torch.float32, variant="fp16", safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    ).to(device)  # fmt: skip
    pipe.scheduler = PNDMScheduler(**SD15_SCHEDULER, skip_prk_steps=True)
    pipe.enable_attention_slicing(ORIGINAL["attention_slicing"])
    pipe.set_progress_bar_config(disable=True)
    width, height = size
    timings = {}
    with PeakMemory(device) as memory:
        started = time.perf_counter()
        embeds, negative = pipe.encode_prompt(PROMPT, device, batch, True, NEGATIVE)
        timings["encode"] = _elapsed(started, device)
        started = time.perf_counter()
        clock = StepClock(device)
        latents = pipe(
            prompt_embeds=embeds, negative_prompt_embeds=negative, width=width, height=height,
            num_inference_steps=steps, guidance_scale=ORIGINAL["guidance"], output_type="latent",
            generator=torch.Generator().manual_seed(42), callback_on_step_end=clock,
        ).images  # fmt: skip
        timings["denoise"] = _elapsed(started, device)
        started = time.perf_counter()
        decoded = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
        images = pipe.image_processor.postprocess(decoded, output_type="pil")
        timings["decode"] = _elapsed(started, device)
        png_s = encode_pngs(images)
    evals = unet_evals(PNDMScheduler(**SD15_SCHEDULER, skip_prk_steps=True), ORIGINAL["steps"])
    row = make_row("original", device=device, dtype=torch.float32, size=size, batch=batch, scheduler="pndm",
                   steps=ORIGINAL["steps"], evals=evals, clock=clock, timings=timings, png_s=png_s,
                   peak=memory.peak)
    del pipe
    gc.collect()
    return row


def _elapsed(started: float, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def run_quality(generator, name: str, *, quality: str, size, batch, steps: int | None) -> Row:
    """One request through ``CakeGenerator.__call__``; schedules longer than ``FULL_MEASURE_STEPS`` run ``steps``."""
    from tortodelova.pipeline.generator import ImageRequest

    sampling = generator.sampling(ImageRequest(PROMPT, NEGATIVE, *size, seeds=[0], quality=quality))
    measured = sampling.steps if sampling.steps <= FULL_MEASURE_STEPS else steps
    request = ImageRequest(PROMPT, NEGATIVE, *size, seeds=list(range(42, 42 + batch)), quality=quality, steps=measured)
    # Warm-up at this quality and size (first-use compilation and allocations happen once per worker process).
    started = time.perf_counter()
    generator(ImageRequest(PROMPT, NEGATIVE, *size, seeds=list(range(batch)), quality=quality, steps=1))
    first_s = time.perf_counter() - started
    clock = StepClock(generator.device)
    with PeakMemory(generator.device) as memory:
        result = generator(request, callback=clock)
        png_s = encode_pngs(result.images)
    evals = unet_evals(generator.schedulers[sampling.scheduler], sampling.steps)
    dtype = generator.dtype if generator.backend == "torch" else generator.backend.split("-")[1]
    row = make_row(name, device=generator.device, dtype=dtype, size=size, batch=batch,
                   scheduler=result.scheduler, steps=sampling.steps, evals=evals, clock=clock, timings=result.timings,
                   png_s=png_s, peak=memory.peak, backend=generator.backend)  # fmt: skip
    row.load_s, row.first_s = getattr(generator, "load_s", None), first_s
    return row


def load_generator(models_dir: Path, device: str, dtype, backend: str = "torch", int8: str = "off",
                   lora: str = "runtime"):
    from tortodelova.pipeline.generator import CakeGenerator

    started = time.perf_counter()
    generator = CakeGenerator.from_pretrained(models_dir, device=device, dtype=dtype, sizes=None, backend=backend,
                                              int8=int8, openvino_lora=lora)  # fmt: skip
    generator.load_s = time.perf_counter() - started
    if int8 != "off":
        generator.backend += "-int8w" if int8 == "weights" else "-int8"
    if lora == "fused":
        generator.backend += "-fused"
    return generator


def run_rows(rows: list[str], *, models_dir, device, sizes, batches, steps, threads, repeats=1,
             on_row=None) -> list[Row]:
    device = torch.device(device)
    generators = {}
    default_dtype = None  # CakeGenerator's choice: bf16/fp16 on CUDA, bf16 on CPUs with AMX, else fp32

    def generator_for(dtype, backend="torch", int8="off", lora="runtime"):
        key = f"{dtype}-{backend}-{int8}-{lora}"
        if key not in generators:
            generators.clear()
            gc.collect()
            generators[key] = load_generator(models_dir, device.type, dtype, backend, int8, lora)
            if threads:
                torch.set_num_threads(threads)
        return generators[key]

    def run_row(name: str, size, batch: int) -> Row:
        if name == "original":
            generators.clear()
            gc.collect()
            if threads:
                torch.set_num_threads(threads)
            return run_original(models_dir, device=device, size=size, batch=batch, steps=steps)
        if name.startswith("optimum-"):
            return peer_row(name)
        if name in ("standard", "fast+taesd", "draft+taesd"):
            quality = name.split("+")[0]
            return run_quality(generator_for(default_dtype), name, quality=quality, size=size, batch=batch, steps=steps)
        if name == "fast":  # LCM-LoRA but the full VAE for the final decode
            from tortodelova.pipeline.generator import CakeGenerator

            base = generator_for(default_dtype)
            generator = CakeGenerator(base.pipe, taesd=None, lcm_adapter=base.lcm_adapter, sizes=None)
            return run_quality(generator, name, quality="fast", size=size, batch=batch, steps=steps)
        if "-openvino" in name:
            quality = name.split("+")[0].split("-")[0]
            dtype = torch.float32 if name.endswith("-fp32") else default_dtype
            int8 = {"int8w": "weights", "int8": "full"}.get(name.rsplit("-", 1)[1], "off")
            lora = "fused" if name.endswith("-fused") else "runtime"
            generator = generator_for(dtype, "openvino", int8, lora)
            return run_quality(generator, name, quality=quality, size=size, batch=batch, steps=steps)
        if name.endswith(("-bf16", "-fp32")):
            quality = "standard" if name.startswith("standard") else "fast"
            dtype = torch.bfloat16 if name.endswith("-bf16") else torch.float32
            return run_quality(generator_for(dtype), name, quality=quality, size=size, batch=batch, steps=steps)
        if name == "standard-channels-last":
            generator = generator_for(default_dtype)
            generator.unet.to(memory_format=torch.channels_last)
            generator.vae.to(memory_format=torch.channels_last)
            try:
                return run_quality(generator, name, quality="standard", size=size, batch=batch, steps=steps)
            finally:
                generator.unet.to(memory_format=torch.contiguous_format)
                generator.vae.to(memory_format=torch.contiguous_format)
        if name == "fast-fused":  # what fusing the LCM-LoRA would save over the switchable adapter
            generator = generator_for(default_dtype)
            generator.unet.enable_lora()
            generator.pipe.fuse_lora(components=["unet"], adapter_names=[generator.lcm_adapter])
            try:
                return run_quality(generator, name, quality="fast", size=size, batch=batch, steps=steps)
            finally:
                generator.pipe.unfuse_lora(components=["unet"])
        raise ValueError(f"unknown row {name!r}; rows are {ROWS}")

    peers = {}

    def peer_row(name: str) -> Row:
        """The optimum-intel rows, all measured by one run of benchmarks.peers in its own venv (512x512 batch 1)."""
        if not peers:
            generators.clear()
            gc.collect()
            from benchmarks.peers import PEER_ROWS, run_in_venv

            wanted = [row for row in PEER_ROWS if row in rows]
            for found in run_in_venv(Path(models_dir), rows=wanted, steps=steps, threads=threads):
                peers[found["name"]] = Row(**found)
        return peers[name]

    results = []
    for size in sizes:
        for batch in batches:
            for name in rows:
                print(f"  {name} {size[0]}x{size[1]} batch {batch}...", flush=True)
                try:
                    runs = [run_row(name, size, batch) for _ in range(repeats)]
                except Exception as exc:  # one broken row (e.g. an optional int8 conversion) keeps the others
                    logger.exception("row %s failed", name)
                    print(f"  {name}: FAILED ({exc!r})", flush=True)
                    continue
                results.append(min(runs, key=lambda row: row.image_s))
                if on_row is not None:  # partial results survive a run stopped half way
                    on_row(results)
                print(f"    {results[-1].image_s:.2f} s/image, peak {results[-1].peak_gib:.2f} GiB", flush=True)
    for row in results:
        original = next((o for o in results if o.name == "original" and (o.resolution, o.batch) ==
                         (row.resolution, row.batch)), None)  # fmt: skip
        if original is not None:
            row.speedup = original.image_s / row.image_s
    return results


def format_table(rows: list[Row]) -> str:
    header = ("row", "backend", "device", "dtype", "size", "batch", "scheduler", "steps", "UNet evals", "encode s",
              "denoise s run", "s/eval", "decode s", "png s", "s/image", "peak GiB", "vs original", "load s",
              "1st image s")  # fmt: skip
    lines = []
    for row in rows:
        mark = "*" if row.extrapolated else ""
        lines.append((
            row.name, row.backend, row.device, row.dtype, row.resolution, str(row.batch), row.scheduler, str(row.steps),
            f"{row.evals} ({row.evals_measured} run)" if row.extrapolated else str(row.evals),
            f"{row.encode_s:.2f}", f"{row.denoise_s:.1f}", f"{row.step_s:.2f}", f"{row.decode_s:.2f}",
            f"{row.png_s:.3f}",
            f"{row.image_s:.1f}{mark}", f"{row.peak_gib:.2f}",
            f"{row.speedup:.2f}x{mark}" if row.speedup is not None else "-",
            f"{row.load_s:.1f}" if row.load_s is not None else "-",
            f"{row.first_s:.1f}" if row.first_s is not None else "-",
        ))  # fmt: skip
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines)]
    out = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in (header, *lines)]
    out.insert(1, "  ".join("-" * width for width in widths))
    out.append("s/image = (encode + UNet evals x s/eval + decode + png) / batch; s/eval = the fastest evaluation run "
               "(other load on the machine only adds time); load s = loading + compiling the generator (IR already "
               "converted; the generator is shared by the rows of one backend, so it is reported on each); 1st image "
               "s = the first 1-step image at this quality after loading (first-use compiles, warm-up)")  # fmt: skip
    if any(row.extrapolated for row in rows):
        out.append("* extrapolated: fewer UNet evaluations run than the configuration has; encode, decode and PNG "
                   "always measured")  # fmt: skip
    return "\n".join(out)


def check_targets(rows: list[Row]) -> list[str]:
    """Issue 14's CPU targets at 512x512: OpenVINO fast >= 1.3x torch fast and >= 30x the original; standard >= 1.3x."""
    lines = []

    def find(name, like):
        return next((r for r in rows if r.name == name and (r.resolution, r.batch) == (like.resolution, like.batch)),
                    None)  # fmt: skip

    for row in rows:
        if row.device != "cpu" or row.name not in ("standard-openvino", "fast+taesd-openvino"):
            continue
        torch_row = find(row.name.removesuffix("-openvino"), row)
        where = f"({row.resolution}, batch {row.batch})"
        if torch_row is not None:
            ratio = torch_row.image_s / row.image_s
            lines.append(f"target: {row.name} >= 1.3x torch {torch_row.name} {where}: {ratio:.2f}x "
                         f"{'PASS' if ratio >= 1.3 else 'FAIL'}")  # fmt: skip
        if row.name.startswith("fast") and row.speedup is not None:
            lines.append(f"target: {row.name} >= 30x the original {where}: {row.speedup:.1f}x "
                         f"{'PASS' if row.speedup >= 30 else 'FAIL'}")  # fmt: skip
    lines += check_issue20_targets(rows)
    return lines


def check_issue20_targets(rows: list[Row]) -> list[str]:
    """Issue 20 (512x512 batch 1, same run): our fast >= 1.2x optimum-intel's LCM pipeline and our standard >= 1.2x
    its SD pipeline per image; draft <= 0.5x our fast; per UNet evaluation the run-time LoRA UNet <= 1.1x the fused
    (pre-issue-20) one, standard and fast."""
    by = {row.name: row for row in rows if (row.resolution, row.batch) == ("512x512", 1)}
    lines = []

    def line(text, value, ok):
        lines.append(f"target: {text}: {value} {'PASS' if ok else 'FAIL'}")

    pairs = (("fast+taesd-openvino", "optimum-lcm+taesd"), ("standard-openvino", "optimum-sd"))
    for ours, peer in pairs:
        if ours in by and peer in by:
            ratio = by[peer].image_s / by[ours].image_s
            line(f"{ours} >= 1.2x faster than {peer} per image", f"{ratio:.2f}x", ratio >= 1.2)
    if "draft+taesd-openvino" in by and "fast+taesd-openvino" in by:
        ratio = by["draft+taesd-openvino"].image_s / by["fast+taesd-openvino"].image_s
        line("draft+taesd-openvino <= 0.5x fast+taesd-openvino per image", f"{ratio:.2f}x", ratio <= 0.5)
    for ours in ("fast+taesd-openvino", "standard-openvino"):
        fused = f"{ours}-fused"
        if ours in by and fused in by:
            ratio = by[ours].step_s / by[fused].step_s
            line(f"{ours} s/eval <= 1.1x {fused} (one UNet, run-time LoRA)", f"{ratio:.2f}x", ratio <= 1.1)
    return lines


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                flags = Path("/proc/cpuinfo").read_text()
                extras = [flag for flag in ("amx_bf16", "avx512_bf16") if flag in flags]
                return f"{line.split(':', 1)[1].strip()} ({', '.join(extras) or 'no bf16 units'})"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def lscpu() -> dict[str, str]:
    """What lscpu says about the processor (model, family, vector units), for the committed JSON."""
    import subprocess

    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    wanted = ("Model name", "Vendor ID", "CPU family", "Model", "CPU(s)", "Thread(s) per core", "Hypervisor vendor",
              "L2 cache", "L3 cache")  # fmt: skip
    out = {key: fields[key] for key in wanted if key in fields}
    flags = fields.get("Flags", "").split()
    out["vector flags"] = " ".join(f for f in flags if f.startswith(("avx", "amx", "fma", "vnni")))
    return out


def openvino_version() -> str | None:
    try:
        import openvino
    except ImportError:
        return None
    return openvino.__version__


def parse_size(text: str) -> tuple[int, int]:
    width, height = text.lower().split("x")
    return int(width), int(height)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu | cuda (default cpu)")
    parser.add_argument("--resolutions", nargs="+", type=parse_size, default=[(512, 512)], metavar="WxH")
    parser.add_argument("--steps", type=int, default=2,
                        help="UNet steps measured for long schedules (extrapolated to the full count)")  # fmt: skip
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1])
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(DEFAULT_ROWS))
    parser.add_argument("--repeats", type=int, default=1, help="run each row this often and keep the fastest")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: physical cores)")
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_CACHE, help="cache of the random models")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    load_before = os.getloadavg()[0]
    counts = build_models(args.models_dir)
    print("parameters: " + ", ".join(f"{name} {count / 1e6:.1f}M" for name, count in counts.items()))

    def write_json(rows, done=False):
        if not args.json:
            return
        machine = {"cpu": cpu_name(), "cpus": os.cpu_count(), "torch": torch.__version__,
                   "threads": torch.get_num_threads(), "load_start": load_before, "load_end": os.getloadavg()[0],
                   "openvino": openvino_version(), "complete": done, "lscpu": lscpu(),
                   "command": " ".join(["python -m benchmarks.generation",
                                        *(argv if argv is not None else sys.argv[1:])])}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine, "parameters": counts, "targets": check_targets(rows),
                                         "rows": [asdict(row) for row in rows]}, indent=2))  # fmt: skip

    rows = run_rows(args.rows, models_dir=args.models_dir, device=args.device, sizes=args.resolutions,
                    batches=args.batch_sizes, steps=args.steps, threads=args.threads, repeats=args.repeats,
                    on_row=write_json)  # fmt: skip
    print()
    print(f"{cpu_name()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, load average {load_before:.1f} at start, "
          f"{os.getloadavg()[0]:.1f} at end")  # fmt: skip
    print(format_table(rows))
    for line in check_targets(rows):
        print(line)
    write_json(rows, done=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
