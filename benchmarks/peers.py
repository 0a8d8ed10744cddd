"""The peers' rows of benchmarks.generation: optimum-intel's OpenVINO pipelines as FastSD CPU configures them.

Runs INSIDE the peer virtual environment that :func:`ensure_venv` builds (optimum-intel pins transformers,
huggingface-hub and diffusers below what the service uses, so it never goes into requirements.txt):

    python -m benchmarks.generation --rows ... optimum-lcm+taesd optimum-sd      # builds the venv, runs this
    .cache/peers-venv/bin/python -m benchmarks.peers --models-dir DIR --json out.json --steps 2

What FastSD CPU does with a DreamShaper-class model on OpenVINO (rupeshs/fastsdcpu, read, not copied): the model
exported to OpenVINO IR by optimum-intel, ``OVLatentConsistencyModelPipeline`` (LCM, 4 steps, guidance 1) or
``OVStableDiffusionPipeline``, ``reshape`` to a static batch 1 × 512² and ``compile`` before the first image, and the
VAE decoder replaced by TAESD on OpenVINO. Here:

* ``optimum-lcm+taesd``: an LCM-LoRA model as FastSD runs it on OpenVINO (the LoRA fused before the export, no
  ``timestep_cond`` input, so OVStableDiffusionPipeline with LCMScheduler rather than OVLatentConsistencyModelPipeline,
  which needs an LCM-distilled UNet's guidance embedding), 4 steps, guidance 1, static 512² with the UNet at batch 1
  (optimum's ``reshape`` assumes classifier-free guidance and doubles the batch), TAESD (converted with
  openvino.convert_model at the static latent size) for the decode. The UNet is the random base UNet: a LoRA fused
  into the weights changes their values, not the FLOPs, so the timing is the LCM model's.
* ``optimum-sd``: OVStableDiffusionPipeline with the service's standard sampler (DPM++ 2M Karras, 25 steps,
  guidance 7), static 512², its own VAE decoder.

The export (optimum-intel, from the same random model folder the other rows load) is cached under
``<models-dir>/optimum-openvino``. Timings use the same definitions as benchmarks.generation (fastest UNet
evaluation, extrapolation of long schedules from ``--steps`` evaluations).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VENV = ROOT / ".cache" / "peers-venv"
# What the peer environment installs (optimum-intel's own bounds; diffusers the newest that accepts that hub).
PEER_PACKAGES = ("optimum-intel==2.2.0", "optimum==2.3.0", "transformers==5.5.4", "huggingface-hub==1.21.0",
                 "diffusers==0.39.0", "openvino-tokenizers==2026.4.1.0")  # fmt: skip
PEER_ROWS = ("optimum-lcm+taesd", "optimum-sd")
PROMPT = "a delicate two-tier wedding cake with dusty rose fondant, fresh peonies and gold leaf, on a marble stand"
NEGATIVE = "blurry, deformed, text, watermark, low quality"
EXPORT_DIR = "optimum-openvino"


def ensure_venv(venv: Path = DEFAULT_VENV, *, quiet: bool = True) -> Path:
    """The peer venv's python, building it once (system site packages for torch/openvino, the pins above on top).

    ``--no-deps`` for optimum-intel: it lists torchvision, which the SD pipelines do not import and which would pull
    another torch build."""
    python = venv / "bin" / "python"
    marker = venv / "peers.json"
    if python.is_file() and marker.is_file() and json.loads(marker.read_text()) == list(PEER_PACKAGES):
        return python
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"] + (["-q"] if quiet else [])
    subprocess.run(pip + ["--no-deps", PEER_PACKAGES[0]], check=True)
    subprocess.run(pip + list(PEER_PACKAGES[1:]), check=True)
    marker.write_text(json.dumps(list(PEER_PACKAGES)))
    return python


def run_in_venv(models_dir: Path, *, rows, steps: int, threads: int | None, venv: Path = DEFAULT_VENV,
                timeout: float | None = None) -> list[dict]:
    """Run this module in the peer venv; returns its rows (dicts with benchmarks.generation.Row's fields)."""
    python = ensure_venv(venv)
    out = models_dir / "peer-rows.json"
    out.unlink(missing_ok=True)
    command = [str(python), "-m", "benchmarks.peers", "--models-dir", str(models_dir), "--json", str(out),
               "--steps", str(steps), "--rows", *rows] + (["--threads", str(threads)] if threads else [])  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(command, check=True, cwd=ROOT, env=env, timeout=timeout)
    return json.loads(out.read_text())


# -- inside the venv ----------------------------------------------------------------------------------------------


def export(models_dir: Path) -> Path:
    """optimum-intel's OpenVINO export of the random DreamShaper folder (once), and TAESD's decoder as an IR."""
    import fcntl

    target = models_dir / EXPORT_DIR
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock:  # one export at a time (a second caller waits, then finds it done)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "done").is_file():
            _export(models_dir, target)
    return target


def _export(models_dir: Path, target: Path) -> None:
    import torch
    from diffusers import AutoencoderTiny, StableDiffusionPipeline
    from optimum.exporters.openvino import export_from_model

    generator = models_dir / "dreamshaper-8"
    has_fp16 = any((generator / "unet").glob("*.fp16.safetensors"))
    pipe = StableDiffusionPipeline.from_pretrained(generator, torch_dtype=torch.float32, safety_checker=None,
                                                   feature_extractor=None, requires_safety_checker=False,
                                                   variant="fp16" if has_fp16 else None)  # fmt: skip
    started = time.perf_counter()
    export_from_model(pipe, target / "sd")
    import openvino as ov

    taesd = AutoencoderTiny.from_pretrained(models_dir / "taesd")

    class Decoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, latent):
            return self.model.decode(latent, return_dict=False)[0]

    with torch.inference_mode():
        model = ov.convert_model(Decoder(taesd).eval(), example_input={"latent": torch.randn(1, 4, 64, 64)})
    ov.save_model(model, target / "taesd" / "model.xml")
    (target / "done").write_text(f"{time.perf_counter() - started:.1f}")


class StepClock:
    def __init__(self):
        self.times = [time.perf_counter()]

    def __call__(self, pipe, index, timestep, tensors):
        self.times.append(time.perf_counter())
        return tensors

    @property
    def per_eval(self) -> float:
        return min(b - a for a, b in zip(self.times, self.times[1:]))


def measure(name: str, exported: Path, *, steps: int, threads: int) -> dict:
    import numpy as np
    import openvino as ov
    import torch
    from diffusers import DPMSolverMultistepScheduler, LCMScheduler
    from optimum.intel import OVStableDiffusionPipeline

    from benchmarks.generation import encode_pngs

    lcm = name == "optimum-lcm+taesd"
    ov_config = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY", "CACHE_DIR": ""}
    started = time.perf_counter()
    pipe = OVStableDiffusionPipeline.from_pretrained(exported / "sd", compile=False, ov_config=ov_config)
    if lcm:
        pipe.scheduler = LCMScheduler.from_config(pipe.scheduler.config)
        full_steps, guidance = 4, 1.0
    else:
        pipe.scheduler = DPMSolverMultistepScheduler.from_config(
            pipe.scheduler.config, algorithm_type="dpmsolver++", solver_type="midpoint", solver_order=2,
            use_karras_sigmas=True)  # fmt: skip
        full_steps, guidance = 25, 7.0
    pipe.reshape(batch_size=1, height=512, width=512, num_images_per_prompt=1)
    if lcm:  # guidance 1: no classifier-free guidance, one UNet sample per image
        unet = pipe.unet.model
        unet.reshape({port: [1, *list(port.get_partial_shape())[1:]] if port.get_any_name() != "timestep"
                      else port.get_partial_shape() for port in unet.inputs})  # fmt: skip
    pipe.compile()
    pipe.set_progress_bar_config(disable=True)
    taesd = None
    if lcm:
        compiled = ov.Core().compile_model(exported / "taesd" / "model.xml", "CPU",
                                           {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"})
        taesd = compiled.create_infer_request()
    load_s = time.perf_counter() - started
    measured = full_steps if full_steps <= 6 else steps

    def generate(n, clock=None):
        timings = {}
        t = time.perf_counter()
        if lcm:
            embeds = pipe.encode_prompt(PROMPT, "cpu", 1, False)[0]
            negative = None
        else:
            embeds, negative = pipe.encode_prompt(PROMPT, "cpu", 1, True, NEGATIVE)
        timings["encode"] = time.perf_counter() - t
        t = time.perf_counter()
        latents = pipe(prompt_embeds=embeds, negative_prompt_embeds=negative, num_inference_steps=n,
                       guidance_scale=guidance, height=512, width=512, output_type="latent",
                       generator=torch.Generator().manual_seed(42), callback_on_step_end=clock).images  # fmt: skip
        timings["denoise"] = time.perf_counter() - t
        t = time.perf_counter()
        latents = torch.as_tensor(np.asarray(latents))
        if lcm:
            taesd.infer({0: latents.numpy().astype(np.float32)})
            decoded = torch.from_numpy(taesd.get_output_tensor(0).data.copy())
        else:
            scaled = (latents / 0.18215).numpy().astype(np.float32)
            decoded = torch.from_numpy(np.asarray(pipe.vae_decoder(latent_sample=scaled)[0]))
        images = pipe.image_processor.postprocess(decoded.clamp(-1, 1), output_type="pil")
        timings["decode"] = time.perf_counter() - t
        return timings, images

    started = time.perf_counter()
    generate(1)  # the first image after compile (what a fresh worker pays once)
    first_s = time.perf_counter() - started
    clock = StepClock()
    timings, images = generate(measured, clock)
    png_s = encode_pngs(images)
    scheduler = pipe.scheduler
    scheduler.set_timesteps(full_steps)
    evals = len(scheduler.timesteps)
    total = timings["encode"] + clock.per_eval * evals + timings["decode"] + png_s
    return dict(
        name=name, backend="optimum-intel-openvino", device="cpu", dtype="f32-hint-default", resolution="512x512",
        batch=1, scheduler="lcm" if lcm else "dpm++2m-karras", steps=full_steps, evals_measured=len(clock.times) - 1,
        evals=evals, encode_s=timings["encode"], denoise_s=timings["denoise"], step_s=clock.per_eval,
        decode_s=timings["decode"], png_s=png_s, image_s=total, peak_gib=0.0, extrapolated=evals != measured,
        load_s=load_s, first_s=first_s,
    )  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rows", nargs="+", choices=PEER_ROWS, default=list(PEER_ROWS))
    args = parser.parse_args(argv)
    threads = args.threads or max(1, len(os.sched_getaffinity(0)))
    started = time.perf_counter()
    exported = export(args.models_dir)
    print(f"  optimum-intel export ready ({time.perf_counter() - started:.0f} s)", flush=True)
    rows = []
    for name in args.rows:
        rows.append(measure(name, exported, steps=args.steps, threads=threads))
        print(f"    {name}: {rows[-1]['image_s']:.2f} s/image", flush=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
