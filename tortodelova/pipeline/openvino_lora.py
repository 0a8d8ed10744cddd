"""LoRA adapters applied at run time to ONE compiled OpenVINO UNet: every quality shares the base weights.

:func:`add_adapters` rewrites the base UNet's graph (read from the cached IR) before it is compiled: after every
MatMul / Convolution that an adapter targets, the layer's output ``y`` gets the adapter's rank-r branch on the first
``n`` samples of the batch, where ``n`` is the batch size when the boolean model input ``<adapter>_on`` is true and
0 when it is false::

    n = batch × <adapter>_on
    y = Concat(y[:n] + scale * up(down(x[:n])), y[n:])

The adapters' low-rank weights are constants (prepacked once by the CPU plugin, like the base weights), so switching
quality between two requests costs nothing. With the flag off the branch sees an empty tensor and the plugin skips
all of its nodes; with it on, the branch costs its own FLOPs plus one slice and one concat of ``y``. Everything stays
in the main graph, in the plugin's inference precision and blocked layouts.

What was measured to choose this (``python -m benchmarks.lora_graph``: the full-size UNet at 1×4×64×64, bf16, 2
threads, AMD EPYC with AVX-512 BF16; seconds per evaluation, the fastest of 3 rounds × 3; dynamic shapes as the
service compiles them; identical graphs differ by up to ±5% from one round to the next):

* base UNet (standard's graph before issue 20): 2.17;
* LCM-LoRA fused into the weights (fast before issue 20, a second compiled UNet): 2.16;
* LCM branches added unconditionally: 2.52, +17%: the rank-64 branches' own FLOPs;
* LCM branches behind ``If`` nodes (issue 20's first version; each If copies, reorders and runs a subgraph):
  2.82 on, 2.34 off (a 2-round run);
* LCM branches on a batch slice (this): 2.58 on (+2% over the bare branches), 2.32 off;
* Hyper-SD branches (rank 128, draft's single step) on a batch slice: 2.88.

So fast's step costs ~1.2× the fused UNet's, and no run-time LoRA goes below the ~1.17× of its own FLOPs. Fused
speed with one compiled UNet would mean recompiling on every change of quality from a fused IR per quality: 1.2 s of
compile plus 1.2 s of first-inference warm-up per switch, and a 1.7 GB IR on disk per quality. The branches were
kept: a switch costs nothing, while a recompile adds ~2.4 s to each request whose quality differs from the one
before, more than the 4 × 0.4 s the branches add to a whole fast image.

Measured earlier on one 320-channel layer and rejected: the base weights as model inputs (swap fused weights in per
quality, +50% per layer: the plugin reorders the weights on every inference); the A/B matrices as inputs (+50% for a
rank-64 3×3 convolution, same reorder; a dynamic rank of 0 for "off" is not supported for convolutions). The ``If``
version also gave different numbers on the first inference at a new largest shape; the slices do not.

The adapter files are read as their authors publish them: kohya-style keys (``lora_unet_<path>.lora_down.weight``,
``.lora_up.weight``, ``.alpha``) as in latent-consistency/lcm-lora-sdv1-5 and ByteDance/Hyper-SD, or peft/diffusers
keys (``unet.<path>.lora_A.weight`` / ``lora_B``). Text-encoder keys (``lora_te_``) are not applied here.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tortodelova.pipeline.models import ADAPTER_FILES, is_present

logger = logging.getLogger(__name__)

# Part of the cache key of the saved UNet with the branches (openvino_cache): bump it when the graph that
# add_adapters writes changes, so workers rebuild that IR instead of loading the old graph.
GRAPH_VERSION = 1

NODE_PREFIX = "__module.unet."
NODE_SUFFIXES = ("/aten::linear/MatMul", "/aten::_convolution/Convolution")


@dataclass
class LoraLayer:
    down: np.ndarray  # [rank, in] or [rank, in, kh, kw]
    up: np.ndarray  # [out, rank] or [out, rank, 1, 1], already multiplied by alpha / rank


def _flat(path: str) -> str:
    return path.replace(".", "_")


def read_lora(file: str | Path) -> dict[str, LoraLayer]:
    """{flattened module path (dots as underscores): layer} of a LoRA safetensors file, UNet keys only."""
    from safetensors.numpy import load_file

    state = load_file(str(file))
    groups: dict[str, dict[str, np.ndarray]] = {}
    skipped = 0
    for key, tensor in state.items():
        if key.startswith("lora_unet_"):  # kohya: lora_unet_<path>.lora_down.weight | .lora_up.weight | .alpha
            module, _, part = key[len("lora_unet_"):].partition(".")
            part = {"lora_down.weight": "down", "lora_up.weight": "up", "alpha": "alpha"}.get(part)
        elif ".lora_A." in key or ".lora_B." in key:  # peft / diffusers: [unet.]<path>.lora_A.weight
            path = key.removeprefix("base_model.model.").removeprefix("unet.")
            if path.startswith("text_encoder"):
                skipped += 1
                continue
            module = _flat(path.split(".lora_")[0])
            part = "down" if ".lora_A." in key else "up"
        else:
            skipped += 1
            continue
        if part is None:
            skipped += 1
            continue
        groups.setdefault(module, {})[part] = tensor.astype(np.float32)
    if skipped:
        logger.info("%s: %d keys that are not UNet LoRA weights left out", Path(file).name, skipped)
    layers = {}
    for module, parts in groups.items():
        down, up = parts["down"], parts["up"]
        rank = down.shape[0]
        scale = float(parts["alpha"]) / rank if "alpha" in parts else 1.0
        layers[module] = LoraLayer(down=down, up=up * scale)
    return layers


def _branch(ops, x, base_node, layer: LoraLayer):
    """up(down(x)) for a MatMul (x @ W^T) or a Convolution base node, with the base node's geometry."""
    if base_node.get_type_name() == "MatMul":
        down = layer.down.reshape(layer.down.shape[0], -1)
        up = layer.up.reshape(layer.up.shape[0], -1)
        if not base_node.get_attributes().get("transpose_b", False):  # x @ W with W [in, out]
            return ops.matmul(ops.matmul(x, ops.constant(down.T.copy()), False, False),
                              ops.constant(up.T.copy()), False, False)  # fmt: skip
        return ops.matmul(ops.matmul(x, ops.constant(down), False, True), ops.constant(up), False, True)
    attributes = base_node.get_attributes()
    down = layer.down if layer.down.ndim == 4 else layer.down[:, :, None, None]
    up = layer.up if layer.up.ndim == 4 else layer.up[:, :, None, None]
    hidden = ops.convolution(x, ops.constant(down), attributes["strides"], attributes["pads_begin"],
                             attributes["pads_end"], attributes["dilations"],
                             attributes.get("auto_pad", "explicit"))  # fmt: skip
    return ops.convolution(hidden, ops.constant(up), [1, 1], [0, 0], [0, 0], [1, 1])


class _Gate:
    """``y + branch(x)`` on the first ``n`` samples of the batch, ``n = flag × batch``: all of them or none.

    With the flag off the branch runs on an empty tensor (the CPU plugin skips every node of it) and the output is
    ``y``; with it on, every sample gets its branch. Everything stays in the main graph, so the branch runs in the
    inference precision and layouts the plugin picks for the base layers. One gate per adapter: layers that read the
    same input (``to_q``/``to_k``/``to_v``, a resnet's ``conv1`` and ``conv_shortcut``) share its slice."""

    def __init__(self, ops, ov, flag):
        self.ops, self.ov, self.flag = ops, ov, flag
        self._slices = {}

    def _const(self, values):
        return self.ops.constant(np.array(values, dtype=np.int64))

    def _count(self, tensor):  # n: the batch size when the flag is on, else 0
        ops, i64 = self.ops, self.ov.Type.i64
        batch = ops.gather(ops.shape_of(tensor, i64), self._const([0]), self._const(0))
        return ops.multiply(batch, ops.convert(self.flag, i64))

    def _slice(self, tensor, start, stop):  # along the batch axis
        return self.ops.slice(tensor, start, stop, self._const([1]), self._const([0])).output(0)

    def _input_head(self, x):
        """x[:n], made once per input tensor. (Only inputs: a layer's own ``y[:n]`` must be a new node, made after
        the consumers of ``y`` to rewire were listed, or the rewiring would loop it back into its own gate.)"""
        key = (x.get_node().get_name(), x.get_index())
        if key not in self._slices:
            self._slices[key] = self._slice(x, self._const([0]), self._count(x))
        return self._slices[key]

    def __call__(self, x, y, base_node, layer: LoraLayer):
        branch = _branch(self.ops, self._input_head(x), base_node, layer)
        n = self._count(y)
        head = self.ops.add(self._slice(y, self._const([0]), n), branch)
        return self.ops.concat([head, self._slice(y, n, self._const([np.iinfo(np.int64).max]))], 0).output(0)


def add_adapters(model, adapters: dict[str, str | Path]):
    """Add each adapter (name → LoRA file) to the UNet ``model`` in place behind a boolean input ``<name>_on``.

    Returns ``{name: number of layers adapted}``; raises ValueError when an adapter targets no layer of the model
    (a file for another architecture)."""
    import openvino as ov
    import openvino.opset13 as ops

    nodes = {}
    for node in model.get_ordered_ops():
        name = node.get_friendly_name()
        for suffix in NODE_SUFFIXES:
            if name.startswith(NODE_PREFIX) and name.endswith(suffix):
                nodes[_flat(name[len(NODE_PREFIX):-len(suffix)])] = node
    counts = {}
    for adapter, file in adapters.items():
        layers = read_lora(file)
        flag = ops.parameter([], ov.Type.boolean, name=f"{adapter}_on")
        flag.output(0).get_tensor().set_names({f"{adapter}_on"})
        model.add_parameters([flag])
        gate = _Gate(ops, ov, flag.output(0))
        missing = sorted(set(layers) - set(nodes))
        if missing:
            raise ValueError(f"LoRA {Path(file).name}: {len(missing)} of {len(layers)} layers are not in the UNet "
                             f"(e.g. {missing[0]})")  # fmt: skip
        for module, layer in layers.items():
            base_node = nodes[module]
            output = base_node.output(0)
            targets = list(output.get_target_inputs())
            gated = gate(base_node.input_value(0), output, base_node, layer)
            for target in targets:
                target.replace_source_output(gated)
        counts[adapter] = len(layers)
    model.validate_nodes_and_infer_types()
    return counts


def adapter_files(models_dir: str | Path) -> dict[str, Path]:
    """{adapter name: LoRA file} of the qualities' adapters present under ``models_dir``."""
    models_dir = Path(models_dir)
    return {name: models_dir / folder / weights for name, (folder, weights) in ADAPTER_FILES.items()
            if is_present(models_dir, folder)}  # fmt: skip


def write_adapted(unet_xml: Path, adapters: dict[str, Path], target: Path) -> None:
    """The UNet IR at ``unet_xml`` with ``adapters`` added, saved as IR at ``target`` (weights stored in fp16).

    Saved rather than rebuilt at every worker start: the CPU plugin maps an IR's weights from the file (clean page
    cache, shared between workers), while the constants of a graph built in memory are the process's own; measured
    on the full-size UNet with both LoRAs, 3.79 → 3.01 GB private memory after the three qualities."""
    import openvino as ov

    model = ov.Core().read_model(unet_xml)
    add_adapters(model, adapters)
    ov.save_model(model, target, compress_to_fp16=True)
