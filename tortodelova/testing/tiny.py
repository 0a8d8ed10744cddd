"""Tiny random models in exactly the on-disk format of the real ones, built offline in a few seconds.

Used by ``download_models.py --tiny`` and by the tests, which then load them through the same
``CakeGenerator.from_pretrained`` / ``Translator.from_pretrained`` as the real checkpoints. The writers below
(tokenizer, pipeline, LCM LoRA, TAESD) take the model objects as arguments, so the benchmark reuses them with
full-size SD 1.5 architectures.
"""

import json
import logging
from collections import Counter
from pathlib import Path

from tortodelova.pipeline.models import (
    DRAFT_LORA_DIR,
    DRAFT_LORA_WEIGHTS,
    GENERATOR_DIR,
    LCM_LORA_DIR,
    LCM_LORA_WEIGHTS,
    TAESD_DIR,
    TRANSLATOR_DIR,
)

logger = logging.getLogger(__name__)

SEED = 0
CLIP_MAX_LENGTH = 77
BOS, EOS = "<|startoftext|>", "<|endoftext|>"

# The module names the LCM-LoRA training script (diffusers examples/consistency_distillation) adapts.
LCM_LORA_TARGETS = [
    "to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2",
    "conv1", "conv2", "conv_shortcut", "downsamplers.0.conv", "upsamplers.0.conv", "time_emb_proj",
]  # fmt: skip

_TOKENIZER_CORPUS = (
    "a beautiful two tier wedding cake with white fondant fresh flowers and gold leaf, chocolate drip cake with "
    "berries, kids birthday cake with cream roses, bento cake, mousse cake with mirror glaze, rustic naked cake, "
    "professional food photography, studio lighting, high detail, blurry, deformed, text, watermark"
)

# What Lykon/dreamshaper-8 lists in model_index.json; the tiny copy lists the same (the safety checker folder is never
# downloaded, so the loader must cope with a listed-but-absent component, as it does with the real files).
_DREAMSHAPER_MODEL_INDEX = {
    "_class_name": "StableDiffusionPipeline",
    "_diffusers_version": "0.21.0.dev0",
    "feature_extractor": ["transformers", "CLIPFeatureExtractor"],
    "requires_safety_checker": True,
    "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
    "scheduler": ["diffusers", "DEISMultistepScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "unet": ["diffusers", "UNet2DConditionModel"],
    "vae": ["diffusers", "AutoencoderKL"],
}

SD15_SCHEDULER = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "prediction_type": "epsilon",
    "steps_offset": 1,
    "timestep_spacing": "leading",
}


def _bytes_to_unicode() -> dict[int, str]:
    # The reversible byte -> printable character map of GPT-2/CLIP byte-level BPE.
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    mapping, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            mapping[byte] = chr(byte)
        else:
            mapping[byte] = chr(256 + extra)
            extra += 1
    return mapping


def _learn_merges(corpus: str, count: int) -> list[tuple[str, str]]:
    words = Counter(corpus.replace(",", " ").split())
    vocab = {tuple(word[:-1]) + (word[-1] + "</w>",): freq for word, freq in words.items()}
    merges = []
    for _ in range(count):
        pairs = Counter()
        for symbols, freq in vocab.items():
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] += freq
        if not pairs:
            break
        best = max(sorted(pairs), key=pairs.__getitem__)  # sorted first: ties broken deterministically
        merges.append(best)
        merged = {}
        for symbols, freq in vocab.items():
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            merged[tuple(out)] = freq
        vocab = merged
    return merges


def write_clip_tokenizer(path: Path, *, merges: int = 200) -> int:
    """Write a CLIP BPE tokenizer (vocab.json, merges.txt, configs) learnt from a small corpus; returns vocab size."""
    path.mkdir(parents=True, exist_ok=True)
    chars = list(_bytes_to_unicode().values())
    learnt = _learn_merges(_TOKENIZER_CORPUS, merges)
    tokens = chars + [c + "</w>" for c in chars] + ["".join(pair) for pair in learnt] + [BOS, EOS]
    vocab = {token: index for index, token in enumerate(dict.fromkeys(tokens))}
    (path / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    merges_text = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in learnt)
    (path / "merges.txt").write_text(merges_text, encoding="utf-8")
    special = {"bos_token": BOS, "eos_token": EOS, "pad_token": EOS, "unk_token": EOS}
    (path / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    config = {"tokenizer_class": "CLIPTokenizer", "model_max_length": CLIP_MAX_LENGTH, "do_lower_case": True}
    (path / "tokenizer_config.json").write_text(json.dumps({**config, **special}, indent=2))
    return len(vocab)


def save_generator(path: Path, *, unet, vae, text_encoder) -> None:
    """Save SD 1.5 components like the dreamshaper-8 snapshot that download_models.py fetches (fp16 variant)."""
    import torch
    from diffusers import DEISMultistepScheduler
    from diffusers.utils import logging as diffusers_logging

    path.mkdir(parents=True, exist_ok=True)
    DEISMultistepScheduler(**SD15_SCHEDULER).save_pretrained(path / "scheduler")
    verbosity = diffusers_logging.get_verbosity()
    diffusers_logging.set_verbosity_error()  # casting a model with to() warns; that is what writing fp16 files needs
    try:
        for name, model in (("unet", unet), ("vae", vae), ("text_encoder", text_encoder)):
            model.to(torch.float16).save_pretrained(path / name, variant="fp16")
            model.to(torch.float32)
    finally:
        diffusers_logging.set_verbosity(verbosity)
    (path / "model_index.json").write_text(json.dumps(_DREAMSHAPER_MODEL_INDEX, indent=2))
    feature_extractor = path / "feature_extractor"
    feature_extractor.mkdir(exist_ok=True)
    (feature_extractor / "preprocessor_config.json").write_text(
        json.dumps({"feature_extractor_type": "CLIPFeatureExtractor", "image_processor_type": "CLIPImageProcessor",
                    "crop_size": {"height": 224, "width": 224}, "size": {"shortest_edge": 224}}, indent=2)  # fmt: skip
    )


def save_lcm_lora(path: Path, unet, *, rank: int, init_std: float) -> int:
    """A random LoRA in the key scheme of latent-consistency/lcm-lora-sdv1-5 (see :func:`save_lora`)."""
    return save_lora(path / LCM_LORA_WEIGHTS, unet, rank=rank, init_std=init_std, adapter="lcm")


def save_draft_lora(path: Path, unet, *, rank: int, init_std: float) -> int:
    """A random LoRA as ByteDance/Hyper-SD publishes Hyper-SD15-1step-lora.safetensors (see :func:`save_lora`)."""
    return save_lora(path / DRAFT_LORA_WEIGHTS, unet, rank=rank, init_std=init_std, adapter="draft", seed=SEED + 1)


def save_lora(file: Path, unet, *, rank: int, init_std: float, adapter: str, seed: int = SEED) -> int:
    """Save a random LoRA for ``unet`` as kohya-style keys; returns its parameter count.

    The published SD 1.5 LoRAs the service loads (LCM-LoRA, Hyper-SD15) are kohya-style keys built from the peft
    ones (``lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight`` + ``.alpha``), fp16. ``unet`` gets an
    adapter attached, so pass one that is not used afterwards.
    """
    import torch
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict
    from safetensors.torch import save_file

    unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, target_modules=LCM_LORA_TARGETS), adapter_name=adapter)
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, weight in get_peft_model_state_dict(unet, adapter_name=adapter).items():
        if "lora_B" in key:  # peft starts B at zero, which would make the adapter a no-op
            weight = torch.randn(weight.shape, generator=generator) * init_std
        kohya_key = "lora_unet_" + key.replace("lora_A", "lora_down").replace("lora_B", "lora_up")
        kohya_key = kohya_key.replace(".", "_", kohya_key.count(".") - 2)
        state[kohya_key] = weight.to(torch.float16).contiguous()
        if "lora_down" in kohya_key:
            state[kohya_key.split(".")[0] + ".alpha"] = torch.tensor(float(rank), dtype=torch.float16)
    file.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(file))
    return sum(t.numel() for k, t in state.items() if not k.endswith(".alpha"))


def build_tiny_generator(models_dir: Path) -> None:
    import torch
    from diffusers import AutoencoderKL, AutoencoderTiny, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    root = models_dir / GENERATOR_DIR
    vocab_size = write_clip_tokenizer(root / "tokenizer")
    eos_id = vocab_size - 1
    torch.manual_seed(SEED)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=vocab_size, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=CLIP_MAX_LENGTH, projection_dim=32, bos_token_id=eos_id - 1, eos_token_id=eos_id,
            pad_token_id=eos_id,
        )  # fmt: skip
    )
    unet_config = dict(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, attention_head_dim=8, norm_num_groups=16,
    )  # fmt: skip
    torch.manual_seed(SEED)
    unet = UNet2DConditionModel(**unet_config)
    torch.manual_seed(SEED)
    # Four blocks, as in SD 1.5, so the VAE scale factor is the real 8 and 512 px images have 64×64 latents.
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(4, 8, 8, 8), layers_per_block=1,
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, norm_num_groups=4,
        sample_size=512, scaling_factor=0.18215,
    )  # fmt: skip
    save_generator(root, unet=unet, vae=vae, text_encoder=text_encoder)

    torch.manual_seed(SEED)
    save_lcm_lora(models_dir / LCM_LORA_DIR, UNet2DConditionModel(**unet_config), rank=4, init_std=0.2)
    torch.manual_seed(SEED)
    save_draft_lora(models_dir / DRAFT_LORA_DIR, UNet2DConditionModel(**unet_config), rank=4, init_std=0.2)

    torch.manual_seed(SEED)
    taesd = AutoencoderTiny(
        encoder_block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8),
        num_encoder_blocks=(1, 1, 1, 1), num_decoder_blocks=(1, 1, 1, 1),
    )  # fmt: skip
    taesd.save_pretrained(models_dir / TAESD_DIR)


def build_tiny_models(models_dir: str | Path, *, translator: bool = True) -> None:
    """All models the service loads, tiny and random (the translator is overfit on a few phrases)."""
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    build_tiny_generator(models_dir)
    if translator:
        from tortodelova.testing.tiny_translator import build_tiny_translator

        build_tiny_translator(models_dir / TRANSLATOR_DIR)
    logger.info("tiny models written to %s", models_dir)
