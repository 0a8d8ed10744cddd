"""One UNet evaluation, torch vs OpenVINO, interleaved: A B C A B C ... so that load from other processes hits every
variant alike (on a shared machine the per-row figures of benchmarks.generation drift with the load).

    python -m benchmarks.unet_step [--rounds 5] [--batches 1 2]

Real-size random SD 1.5 UNet (benchmarks.generation's cache), 512x512 (64x64 latents); batch 1 is the fast (LCM,
no guidance) step, batch 2 the standard (guidance) step. Variants: torch in the service's dtype, OpenVINO with the
cached dynamic-shape IR (what the backend runs), and the same IR reshaped to this static shape. The fastest of
``--rounds`` per variant is printed.
"""

import argparse
import time

import numpy as np
import torch

from benchmarks.generation import DEFAULT_CACHE, build_models, cpu_name


def main(argv: list[str] | None = None) -> int:
    import openvino as ov
    from diffusers import UNet2DConditionModel

    from tortodelova.pipeline.generator import physical_cores, resolve_device
    from tortodelova.pipeline.models import GENERATOR_DIR
    from tortodelova.pipeline.openvino_cache import UNET, ensure_converted

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 2])
    args = parser.parse_args(argv)
    build_models(DEFAULT_CACHE)
    _, dtype = resolve_device("cpu")
    threads = physical_cores()
    torch.set_num_threads(threads)
    precision = "bf16" if dtype == torch.bfloat16 else "f32"
    unet = UNet2DConditionModel.from_pretrained(DEFAULT_CACHE / GENERATOR_DIR / "unet", variant="fp16",
                                                dtype=dtype).eval()  # fmt: skip
    core = ov.Core()
    config = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads}
    xml = ensure_converted(DEFAULT_CACHE)[UNET] / "model.xml"
    dynamic = core.compile_model(core.read_model(xml), "CPU", config).create_infer_request()
    print(f"{cpu_name()}, {threads} threads, torch {dtype}, OpenVINO {ov.__version__} {precision}")
    for batch in args.batches:
        inputs = {"sample": np.random.randn(batch, 4, 64, 64).astype(np.float32),
                  "timestep": np.array([500.0], dtype=np.float32),
                  "encoder_hidden_states": np.random.randn(batch, 77, 768).astype(np.float32)}  # fmt: skip
        model = core.read_model(xml)
        model.reshape({name: ov.PartialShape(list(value.shape)) for name, value in inputs.items()})
        static = core.compile_model(model, "CPU", config).create_infer_request()
        tensors = [torch.from_numpy(inputs["sample"]).to(dtype), torch.tensor(500.0),
                   torch.from_numpy(inputs["encoder_hidden_states"]).to(dtype)]  # fmt: skip

        def run_torch(tensors=tensors):
            with torch.inference_mode():
                unet(*tensors, return_dict=False)

        variants = {"torch": run_torch, "openvino dynamic": lambda inputs=inputs: dynamic.infer(inputs),
                    "openvino static": lambda inputs=inputs, static=static: static.infer(inputs)}  # fmt: skip
        for run in variants.values():  # warm-up
            run()
        best = dict.fromkeys(variants, float("inf"))
        for _ in range(args.rounds):
            for name, run in variants.items():
                started = time.perf_counter()
                run()
                best[name] = min(best[name], time.perf_counter() - started)
        line = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in best.items())
        print(f"batch {batch}: {line}; torch/openvino dynamic {best['torch'] / best['openvino dynamic']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
