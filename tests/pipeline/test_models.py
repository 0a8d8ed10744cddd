import json
import shutil

import pytest
from safetensors import safe_open

from tortodelova.pipeline.models import (
    DRAFT_LORA_DIR,
    DRAFT_LORA_WEIGHTS,
    GENERATOR_DIR,
    LCM_LORA_DIR,
    LCM_LORA_WEIGHTS,
    MODEL_SPECS,
    TAESD_DIR,
    TRANSLATOR_DIR,
    check_models,
    ensure_models,
    select_files,
)

# The files of Lykon/dreamshaper-8 on the hub (each weight in fp32 and fp16, safetensors and pickles).
DREAMSHAPER_FILES = [
    ".gitattributes", "README.md", "model_index.json", "feature_extractor/preprocessor_config.json",
    "safety_checker/config.json", "safety_checker/model.fp16.safetensors", "safety_checker/model.safetensors",
    "scheduler/scheduler_config.json", "text_encoder/config.json", "text_encoder/model.fp16.safetensors",
    "text_encoder/model.safetensors", "tokenizer/merges.txt", "tokenizer/special_tokens_map.json",
    "tokenizer/tokenizer_config.json", "tokenizer/vocab.json", "unet/config.json",
    "unet/diffusion_pytorch_model.bin", "unet/diffusion_pytorch_model.fp16.safetensors",
    "unet/diffusion_pytorch_model.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.fp16.safetensors",
    "vae/diffusion_pytorch_model.safetensors",
]  # fmt: skip


def test_dreamshaper_selection_takes_fp16_safetensors_and_skips_the_safety_checker():
    files = select_files(MODEL_SPECS[GENERATOR_DIR], DREAMSHAPER_FILES)

    assert files == sorted([
        "model_index.json", "feature_extractor/preprocessor_config.json", "scheduler/scheduler_config.json",
        "text_encoder/config.json", "text_encoder/model.fp16.safetensors", "tokenizer/merges.txt",
        "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json", "tokenizer/vocab.json",
        "unet/config.json", "unet/diffusion_pytorch_model.fp16.safetensors", "vae/config.json",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    ])  # fmt: skip


def test_translator_selection_prefers_safetensors_and_falls_back_to_pickle():
    listing = ["config.json", "generation_config.json", "pytorch_model.bin", "rust_model.ot", "source.spm",
               "target.spm", "tf_model.h5", "tokenizer_config.json", "vocab.json", "README.md"]  # fmt: skip

    pickled = select_files(MODEL_SPECS[TRANSLATOR_DIR], listing)
    with_safetensors = select_files(MODEL_SPECS[TRANSLATOR_DIR], [*listing, "model.safetensors"])

    assert pickled == ["config.json", "generation_config.json", "pytorch_model.bin", "source.spm", "target.spm",
                       "tokenizer_config.json", "vocab.json"]  # fmt: skip
    assert "model.safetensors" in with_safetensors and "pytorch_model.bin" not in with_safetensors


def test_small_repos_take_only_what_is_loaded():
    taesd = ["README.md", "config.json", "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin",
             "taesd_decoder.pth", "taesd_encoder.pth", "images/preview.jpg"]  # fmt: skip
    lcm = [".gitattributes", "README.md", "pytorch_lora_weights.safetensors", "image.png"]

    assert select_files(MODEL_SPECS[TAESD_DIR], taesd) == ["config.json", "diffusion_pytorch_model.safetensors"]
    assert select_files(MODEL_SPECS[LCM_LORA_DIR], lcm) == [LCM_LORA_WEIGHTS]


def test_draft_lora_is_the_one_step_sd15_file_of_hyper_sd():
    # ByteDance/Hyper-SD holds LoRAs for every step count and base model, a 10 GB SDXL UNet and ComfyUI workflows.
    hyper = [".gitattributes", "README.md", "Hyper-SD15-1step-lora.safetensors", "Hyper-SD15-2steps-lora.safetensors",
             "Hyper-SD15-8steps-CFG-lora.safetensors", "Hyper-SDXL-1step-lora.safetensors",
             "Hyper-SDXL-1step-Unet.safetensors", "comfyui/Hyper-SD15-1step-unified-lora-workflow.json"]  # fmt: skip
    spec = MODEL_SPECS[DRAFT_LORA_DIR]
    assert (spec.repo_id, spec.required) == ("ByteDance/Hyper-SD", False)
    assert select_files(spec, hyper) == [DRAFT_LORA_WEIGHTS] == ["Hyper-SD15-1step-lora.safetensors"]


def test_selection_without_weights_names_the_folder():
    listing = [path for path in DREAMSHAPER_FILES if not path.startswith("vae/diffusion")]

    with pytest.raises(FileNotFoundError, match="'vae'"):
        select_files(MODEL_SPECS[GENERATOR_DIR], listing)


def test_check_models_on_an_empty_folder(tmp_path):
    status = check_models(tmp_path)

    assert not status.ok
    assert status.missing == [TRANSLATOR_DIR, GENERATOR_DIR]
    assert status.optional_missing == [LCM_LORA_DIR, DRAFT_LORA_DIR, TAESD_DIR]
    assert status.present == []


def test_check_models_on_tiny_models(tiny_models_dir):
    status = check_models(tiny_models_dir)

    assert status.ok
    assert status.present == [TRANSLATOR_DIR, GENERATOR_DIR, LCM_LORA_DIR, DRAFT_LORA_DIR, TAESD_DIR]
    assert status.missing == status.optional_missing == []


def test_optional_models_do_not_block(tiny_models_dir, tmp_path):
    copy = tmp_path / "models"
    shutil.copytree(tiny_models_dir, copy, ignore=shutil.ignore_patterns(TAESD_DIR, LCM_LORA_DIR, DRAFT_LORA_DIR))
    (copy / GENERATOR_DIR / "unet" / "diffusion_pytorch_model.fp16.safetensors").unlink()

    status = ensure_models(copy, offline=True)

    assert not status.ok
    assert status.missing == [GENERATOR_DIR]
    assert status.optional_missing == [LCM_LORA_DIR, DRAFT_LORA_DIR, TAESD_DIR]


def test_tiny_models_have_the_real_layout(tiny_models_dir):
    generator = tiny_models_dir / GENERATOR_DIR
    index = json.loads((generator / "model_index.json").read_text())
    with safe_open(tiny_models_dir / LCM_LORA_DIR / LCM_LORA_WEIGHTS, "pt") as lora:
        keys = set(lora.keys())

    assert index["safety_checker"] == ["stable_diffusion", "StableDiffusionSafetyChecker"]
    assert not (generator / "safety_checker").exists()  # listed but never downloaded, as with the real snapshot
    for component in ("unet", "vae"):
        assert (generator / component / "diffusion_pytorch_model.fp16.safetensors").is_file()
    assert (generator / "text_encoder" / "model.fp16.safetensors").is_file()
    assert (tiny_models_dir / TAESD_DIR / "diffusion_pytorch_model.safetensors").is_file()
    # Kohya-style keys as written by the LCM-LoRA training script, with an alpha per adapted module.
    assert "lora_unet_down_blocks_1_attentions_0_proj_in.lora_down.weight" in keys
    assert "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_out_0.lora_up.weight" in keys
    assert "lora_unet_down_blocks_0_resnets_0_conv1.alpha" in keys
    assert all(key.startswith("lora_unet_") for key in keys)
    # The draft LoRA: the same published format, another file name, its own random weights.
    with safe_open(tiny_models_dir / DRAFT_LORA_DIR / DRAFT_LORA_WEIGHTS, "pt") as draft:
        assert set(draft.keys()) == keys
        with safe_open(tiny_models_dir / LCM_LORA_DIR / LCM_LORA_WEIGHTS, "pt") as lora:
            key = "lora_unet_down_blocks_1_attentions_0_proj_in.lora_up.weight"
            assert not (draft.get_tensor(key) == lora.get_tensor(key)).all()
