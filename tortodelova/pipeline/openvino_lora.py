"""LoRA adapters applied at run time to ONE compiled OpenVINO UNet: every quality shares the base weights.

:func:`add_adapters` rewrites the base UNet's graph (read from the cached IR) before it is compiled: after every
MatMul / Convolution that an adapter targets, the output ``y`` of the layer goes through one ``If`` per adapter::

    y = If(<adapter>_on, then: y + scale * up(down(x)), else: y)

The adapters' own low-rank weights are constants of those ``If`` bodies (prepacked once by the CPU plugin, like the
base weights), and ``<adapter>_on`` is a boolean input of the model, so switching quality between two requests costs
nothing: standard runs the plain layers (the ``else`` bodies only pass ``y`` through), fast and draft add their rank-r
branches. What was measured before choosing this (2 cores, one 320-channel layer at 64×64, see the issue note):

* the base weights as model inputs (swap fused weights in per quality): +50% per layer, the plugin reorders the
  weights on every inference;
* LoRA branches with the A/B matrices as inputs: +50% for a rank-64 3×3 convolution (same reorder), and dynamic-rank
  weights (rank 0 for "off") are not supported for convolutions at all;
* constant branches behind an ``If``: the branch costs only its own FLOPs when on and a pass-through when off.

The adapter files are read as their authors publish them: kohya-style keys (``lora_unet_<path>.lora_down.weight``,
``.lora_up.weight``, ``.alpha``) as in latent-consistency/lcm-lora-sdv1-5 and ByteDance/Hyper-SD, or peft/diffusers
keys (``unet.<path>.lora_A.weight`` / ``lora_B``). Text-encoder keys (``lora_te_``) are not applied here.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

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


def _gated(ops, ov, flag, x, y, base_node, layer: LoraLayer):
    """If(flag, y + branch(x), y): the branch's weights live in the then-body only."""
    x_then = ops.parameter(x.get_partial_shape(), x.get_element_type())
    y_then = ops.parameter(y.get_partial_shape(), y.get_element_type())
    then_out = ops.result(ops.add(y_then, _branch(ops, x_then, base_node, layer)))
    x_else = ops.parameter(x.get_partial_shape(), x.get_element_type())
    y_else = ops.parameter(y.get_partial_shape(), y.get_element_type())
    else_out = ops.result(y_else)
    node = ops.if_op(flag)
    node.set_then_body(ov.Model([then_out], [x_then, y_then]))
    node.set_else_body(ov.Model([else_out], [x_else, y_else]))
    node.set_input(x, x_then, x_else)
    node.set_input(y, y_then, y_else)
    return node.set_output(then_out, else_out)


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
        missing = sorted(set(layers) - set(nodes))
        if missing:
            raise ValueError(f"LoRA {Path(file).name}: {len(missing)} of {len(layers)} layers are not in the UNet "
                             f"(e.g. {missing[0]})")  # fmt: skip
        for module, layer in layers.items():
            base_node = nodes[module]
            output = base_node.output(0)
            targets = list(output.get_target_inputs())
            gated = _gated(ops, ov, flag.output(0), base_node.input_value(0), output, base_node, layer)
            for target in targets:
                target.replace_source_output(gated)
        counts[adapter] = len(layers)
    model.validate_nodes_and_infer_types()
    return counts
