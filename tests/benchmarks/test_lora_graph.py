"""benchmarks.lora_graph on the tiny models: every graph it compares computes the same function as the service's,
and the script prints its table (so it cannot rot between real runs)."""

import numpy as np
import openvino as ov
import pytest

from benchmarks import lora_graph
from tortodelova.pipeline import openvino_cache as cache


@pytest.fixture(scope="module")
def folders(tiny_models_dir):
    return cache.ensure_converted(tiny_models_dir, fused_lcm=True)


def outputs(variant, tiny_models_dir, folders) -> np.ndarray:
    """The UNet's output for one input. The service relies on the first inference being right; the If graph of
    issue 20's first version is not (OpenVINO 2026.4.1 answers its first inference at a new largest shape with other
    numbers), so for it the second one is taken, as its worker did."""
    core = ov.Core()
    model, flags = lora_graph.build(core, variant, tiny_models_dir, folders)
    request = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"}).create_infer_request()
    rng = np.random.default_rng(3)
    hidden = model.input("encoder_hidden_states").get_partial_shape()[2].get_length()
    inputs = {"sample": rng.standard_normal((2, 4, 32, 32), dtype=np.float32),
              "timestep": np.array([700], dtype=np.float32),
              "encoder_hidden_states": rng.standard_normal((2, 77, hidden), dtype=np.float32), **flags}  # fmt: skip
    for _ in range(2 if variant.startswith("if-") else 1):
        request.infer(inputs)
    return request.get_output_tensor(0).data.copy()


def test_the_compared_graphs_compute_the_same_function(tiny_models_dir, folders):
    base, fused = outputs("base", tiny_models_dir, folders), outputs("fused", tiny_models_dir, folders)
    lcm = {gate: outputs(f"{gate}-lcm", tiny_models_dir, folders) for gate in ("plain", "if", "slice")}

    assert np.abs(base - fused).max() > 0.05  # the LCM-LoRA does change the UNet's output
    for gate, output in lcm.items():  # branches on = the LoRA fused into the (fp16-stored) weights
        assert np.abs(output - fused).max() < 0.005, (gate, np.abs(output - fused).max())
    assert np.array_equal(outputs("slice-off", tiny_models_dir, folders), base)  # off = the plain UNet, to the bit
    assert np.array_equal(outputs("if-off", tiny_models_dir, folders), base)
    assert np.abs(outputs("slice-draft", tiny_models_dir, folders) - base).max() > 0.05


def test_the_script_prints_a_row_per_variant(tiny_models_dir, folders, capsys):
    variants = ["base", "fused", "if-lcm", "slice-lcm", "slice-off", "base-static"]

    assert lora_graph.main(["--models-dir", str(tiny_models_dir), "--rounds", "1", "--evaluations", "1",
                            "--variants", *variants]) == 0  # fmt: skip

    table = capsys.readouterr().out.split("variant")[-1].splitlines()[1:]
    assert [line.split()[0] for line in table] == variants
    assert all(float(line.split()[1]) > 0 for line in table)
    assert table[1].split()[2] == "1.00x"  # the fused UNet is the reference
