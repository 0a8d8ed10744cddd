"""One UNet evaluation per graph layout of the run-time LoRA, on the full-size random UNet (issue 20).

    python -m benchmarks.lora_graph                        # every variant, 2 rounds, ~5 minutes on 2 cores
    python -m benchmarks.lora_graph --variants base fused slice-lcm --rounds 3

Each variant is read from the cached IR, rewritten, compiled (bf16 hint where the CPU has bf16, 2 threads, latency
hint: what the worker does) and timed on one 1×4×64×64 sample; the fastest evaluation over the rounds is reported,
the variants alternating within a round so that a busy stretch of the machine hits all of them. The table answers
where the per-step time of fast goes compared to the fused UNet of before issue 20 and to optimum-intel's export:

* ``base`` / ``fused``: the plain UNet (standard) and the LCM-LoRA fused into the weights (the pre-issue-20 fast);
* ``plain-lcm``: the LCM branches added unconditionally (their own FLOPs, no switch);
* ``if-lcm`` / ``if-off``: each branch behind an ``If`` node (issue 20's first version, kept here to compare);
* ``slice-lcm`` / ``slice-off`` / ``slice-draft``: the service's graph (:mod:`tortodelova.pipeline.openvino_lora`);
* ``*-static``: the same reshaped to the static 1×4×64×64 that optimum-intel compiles (the service's UNet stays
  dynamic: one compiled model serves every size and batch);
* ``optimum-static``: optimum-intel's own UNet export (from ``benchmarks.peers``, when it is in the models folder).
"""

import argparse
import gc
import time
from pathlib import Path

import numpy as np

from benchmarks.generation import DEFAULT_CACHE, build_models, cpu_name
from benchmarks.peers import EXPORT_DIR
from tortodelova.pipeline.models import GENERATOR_DIR

VARIANTS = ("base", "fused", "plain-lcm", "if-lcm", "if-off", "slice-lcm", "slice-off", "slice-draft", "base-static",
            "fused-static", "optimum-static")  # fmt: skip


class _IfGate:
    """Issue 20's first graph: If(flag, y + branch(x), y), the branch's weights in the then-body."""

    def __init__(self, ops, ov, flag):
        self.ops, self.ov, self.flag = ops, ov, flag

    def __call__(self, x, y, base_node, layer):
        return _if_gated(self.ops, self.ov, self.flag, x, y, base_node, layer)


class _PlainGate(_IfGate):
    """y + branch(x), always (the flag input stays, unused)."""

    def __call__(self, x, y, base_node, layer):
        from tortodelova.pipeline.openvino_lora import _branch

        return self.ops.add(y, _branch(self.ops, x, base_node, layer)).output(0)


def _if_gated(ops, ov, flag, x, y, base_node, layer):
    """Issue 20's first graph: If(flag, y + branch(x), y), the branch's weights in the then-body."""
    from tortodelova.pipeline.openvino_lora import _branch

    bodies = []
    for with_branch in (True, False):
        x_in = ops.parameter(x.get_partial_shape(), x.get_element_type())
        y_in = ops.parameter(y.get_partial_shape(), y.get_element_type())
        out = ops.result(ops.add(y_in, _branch(ops, x_in, base_node, layer)) if with_branch else y_in)
        bodies.append((ov.Model([out], [x_in, y_in]), x_in, y_in, out))
    (then_model, x_then, y_then, then_out), (else_model, x_else, y_else, else_out) = bodies
    node = ops.if_op(flag)
    node.set_then_body(then_model)
    node.set_else_body(else_model)
    node.set_input(x, x_then, x_else)
    node.set_input(y, y_then, y_else)
    return node.set_output(then_out, else_out)


def build(core, variant: str, models_dir: Path, folders: dict, batch: int = 1):
    """(model, extra inputs) of a variant, read from the cache and rewritten."""
    from tortodelova.pipeline import openvino_cache as cache
    from tortodelova.pipeline import openvino_lora
    from tortodelova.pipeline.models import ADAPTER_FILES

    name = variant.removesuffix("-static")
    if name == "optimum":
        path = models_dir / EXPORT_DIR / "sd" / "unet" / "openvino_model.xml"
    else:
        path = folders[cache.UNET_LCM if name == "fused" else cache.UNET] / "model.xml"
    model = core.read_model(path)
    flags = {}
    if name.startswith(("plain-", "if-", "slice-")):
        files = {adapter: models_dir / folder / weights for adapter, (folder, weights) in ADAPTER_FILES.items()}
        gate = {"plain": _PlainGate, "if": _IfGate, "slice": openvino_lora._Gate}[name.split("-")[0]]
        wanted = name.split("-")[1]
        if name.startswith("plain-"):
            files = {"lcm": files["lcm"]}
        original = openvino_lora._Gate
        openvino_lora._Gate = gate
        try:
            openvino_lora.add_adapters(model, files)
        finally:
            openvino_lora._Gate = original
        flags = {f"{adapter}_on": np.array(adapter == wanted) for adapter in files}
    if variant.endswith("-static"):
        hidden = model.input("encoder_hidden_states").get_partial_shape()[2].get_length()
        shapes = {"sample": [batch, 4, 64, 64], "encoder_hidden_states": [batch, 77, hidden], "timestep": [1]}
        model.reshape({port: shapes[port.get_any_name()] for port in model.inputs if port.get_any_name() in shapes})
    return model, flags


def measure(core, variant: str, models_dir: Path, folders: dict, config: dict, evaluations: int,
            batch: int = 1) -> dict:
    model, flags = build(core, variant, models_dir, folders, batch)
    started = time.perf_counter()
    request = core.compile_model(model, "CPU", config).create_infer_request()
    compile_s = time.perf_counter() - started
    rng = np.random.default_rng(0)
    timestep_type = np.int64 if variant.startswith("optimum") else np.float32
    hidden = model.input("encoder_hidden_states").get_partial_shape()[2].get_length()  # 768; less in the tiny UNet
    inputs = {"sample": rng.standard_normal((batch, 4, 64, 64), dtype=np.float32),
              "timestep": np.array([500], dtype=timestep_type),
              "encoder_hidden_states": rng.standard_normal((batch, 77, hidden), dtype=np.float32), **flags}  # fmt: skip
    times = []
    for _ in range(evaluations + 1):  # the first one warms up
        started = time.perf_counter()
        request.infer(inputs)
        times.append(time.perf_counter() - started)
    del request, model
    gc.collect()
    return {"compile_s": compile_s, "first_s": times[0], "best_s": min(times[1:])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--evaluations", type=int, default=3, help="timed evaluations per variant and round")
    parser.add_argument("--batch", type=int, default=1, help="UNet batch (2: one image of standard, with CFG)")
    args = parser.parse_args(argv)
    import openvino as ov

    from tortodelova.pipeline import openvino_cache as cache
    from tortodelova.pipeline.runtime import cpu_has_fast_bf16, physical_cores

    if not (args.models_dir / GENERATOR_DIR).is_dir():  # the random full-size models, built once
        build_models(args.models_dir)
    folders = cache.ensure_converted(args.models_dir, fused_lcm=True)
    variants = [v for v in args.variants if not v.startswith("optimum") or
                (args.models_dir / EXPORT_DIR / "done").is_file()]  # fmt: skip
    core = ov.Core()
    threads = physical_cores()
    config = {"INFERENCE_PRECISION_HINT": "bf16" if cpu_has_fast_bf16() else "f32", "PERFORMANCE_HINT": "LATENCY",
              "INFERENCE_NUM_THREADS": threads}  # fmt: skip
    results: dict[str, list[dict]] = {}
    for round_number in range(args.rounds):
        for variant in variants:
            results.setdefault(variant, []).append(measure(core, variant, args.models_dir, folders, config,
                                                           args.evaluations, args.batch))  # fmt: skip
            print(f"  round {round_number + 1} {variant}: {results[variant][-1]['best_s']:.3f} s", flush=True)
    best = {variant: min(run["best_s"] for run in runs) for variant, runs in results.items()}
    reference = best.get("fused")
    print(f"\n{cpu_name()}, {threads} threads, OpenVINO {ov.__version__}, {config['INFERENCE_PRECISION_HINT']}, "
          f"{args.batch}x4x64x64, fastest of {args.rounds}x{args.evaluations} evaluations")  # fmt: skip
    print(format_table(results, best, reference))
    return 0


def format_table(results: dict[str, list[dict]], best: dict[str, float], reference: float | None) -> str:
    lines = [f"{'variant':<16} {'s/eval':>7} {'vs fused':>9} {'compile s':>10} {'first s':>8}"]
    for variant, runs in results.items():
        ratio = f"{best[variant] / reference:.2f}x" if reference else "-"
        lines.append(f"{variant:<16} {best[variant]:>7.3f} {ratio:>9} {min(r['compile_s'] for r in runs):>10.1f} "
                     f"{min(r['first_s'] for r in runs):>8.2f}")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
