"""The generator's components on OpenVINO (CPU), behind the interfaces diffusers' pipelines call.

:func:`load_pipeline` builds an ordinary ``StableDiffusionPipeline`` whose UNet, text encoder and VAE are the thin
wrappers below, so :class:`~tortodelova.pipeline.generator.CakeGenerator` runs exactly the same code on both backends:
the same diffusers sampling loop and schedulers (DPM++ 2M Karras, LCM), per-image seeds, step callbacks (previews,
progress, cancel), img2img, NaN/black detection and PNG metadata. Torch tensors stay fp32 between the calls; the
inference precision inside OpenVINO is bf16 on CPUs with native bf16 and f32 elsewhere.

Every quality from one compiled UNet: the LoRAs of fast (LCM) and draft (Hyper-SD 1-step) are added to the base
UNet's graph at load time behind boolean inputs (:mod:`~tortodelova.pipeline.openvino_lora`), and
``enable_lora``/``set_adapters``/``disable_lora`` only change which flag is fed. One copy of the UNet weights for
all three qualities (until issue 20 the LCM-LoRA was fused into a second compiled UNet: twice the memory;
``lora="fused"`` still builds that one, for the benchmark's comparison). The VAE encoder (img2img only) stays in
torch.
"""

import logging
from pathlib import Path

import numpy as np
import torch

from tortodelova.pipeline import openvino_cache as cache
from tortodelova.pipeline.models import GENERATOR_DIR, TAESD_DIR
from tortodelova.pipeline.openvino_lora import adapter_files

logger = logging.getLogger(__name__)

CPU = torch.device("cpu")


def available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


class CompiledModel:
    """One IR, compiled per precision on first use (bf16 normally; f32 for the NaN retry of a decoder)."""

    def __init__(self, core, folder: Path, precision: str, threads: int):
        self.core = core
        self.path = folder / "model.xml"
        self.precision = precision
        self.threads = threads
        self._compiled = {}

    def request(self, precision: str | None = None):
        precision = precision or self.precision
        if precision not in self._compiled:
            config = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY",
                      "INFERENCE_NUM_THREADS": self.threads}  # fmt: skip
            compiled = self.core.compile_model(self.core.read_model(self.path), "CPU", config)
            self._compiled[precision] = compiled.create_infer_request()
        return self._compiled[precision]

    def release_memory(self) -> None:
        """Free the activation buffers the plugin keeps between inferences (reallocated by the next one)."""
        for request in self._compiled.values():
            request.get_compiled_model().release_memory()

    def __call__(self, inputs: dict[str, np.ndarray], precision: str | None = None) -> torch.Tensor:
        request = self.request(precision)
        request.infer(inputs)
        return torch.from_numpy(request.get_output_tensor(0).data.copy())


def _np(tensor: torch.Tensor, dtype=np.float32) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().to(torch.float32 if dtype == np.float32 else torch.int64).numpy())


class _Component:
    device = CPU
    dtype = torch.float32

    def to(self, *args, **kwargs):  # diffusers moves components around; these stay where OpenVINO runs them
        return self

    def release_memory(self) -> None:
        """Between requests: the plugin would otherwise keep each model's activation buffers for the largest shape
        it has seen (the VAE decoder's at 512×768 alone are hundreds of MB) for the life of the worker."""
        for model in vars(self).values():
            if isinstance(model, CompiledModel):
                model.release_memory()


class OVUNet(_Component):
    """One compiled UNet whose LoRA branches are switched by boolean inputs (``<adapter>_on``), peft-style API.

    ``fused`` ({adapter: CompiledModel}) is the pre-issue-20 layout kept for the benchmark: an adapter fused into its
    own UNet copy."""

    def __init__(self, model: CompiledModel, config, adapters=(), fused: dict | None = None):
        self.model, self.config, self.adapters = model, config, tuple(adapters)
        self.fused = fused or {}
        self.enabled, self.active = False, None

    def enable_lora(self) -> None:
        self.enabled = True

    def disable_lora(self) -> None:
        self.enabled = False

    def set_adapters(self, names, weights=None) -> None:
        if len(names) != 1 or names[0] not in (*self.adapters, *self.fused):
            raise ValueError(f"one of the adapters {self.adapters + tuple(self.fused)} at a time, not {names}")
        self.active = names[0]

    @property
    def current(self) -> str | None:
        return self.active if self.enabled else None

    def __call__(self, sample, timestep, encoder_hidden_states, *args, return_dict=False, **kwargs):
        timestep = torch.as_tensor(timestep).reshape(-1)[:1]
        inputs = {"sample": _np(sample), "timestep": _np(timestep), "encoder_hidden_states": _np(encoder_hidden_states)}
        if self.current in self.fused:
            return (self.fused[self.current](inputs),)
        for adapter in self.adapters:
            inputs[f"{adapter}_on"] = np.array(adapter == self.current)
        return (self.model(inputs),)


class OVTextEncoder(_Component):
    def __init__(self, model: CompiledModel, config):
        self.model, self.config = model, config

    def __call__(self, input_ids, attention_mask=None, output_hidden_states=False, **kwargs):
        if output_hidden_states:
            raise NotImplementedError("clip_skip is not supported on the OpenVINO backend")
        return (self.model({"input_ids": _np(input_ids, np.int64)}),)


class OVDecoder(_Component):
    """``decode`` on OpenVINO; ``encode`` (img2img) by the torch model given; ``to(dtype)`` picks the precision."""

    def __init__(self, model: CompiledModel, config, encoder_model=None):
        self.model, self.config, self.encoder_model = model, config, encoder_model
        self.precision = model.precision

    @property
    def dtype(self) -> torch.dtype:
        return torch.bfloat16 if self.precision == "bf16" else torch.float32

    def to(self, *args, **kwargs):
        dtype = kwargs.get("dtype") or next((a for a in args if isinstance(a, torch.dtype)), None)
        if dtype is not None:
            self.precision = "f32" if dtype == torch.float32 else self.model.precision
        return self

    def decode(self, latents, return_dict=False, **kwargs):
        return (self.model({"latent": _np(latents)}, self.precision),)

    def encode(self, pixels, return_dict=True):
        return self.encoder_model.encode(pixels.to(self.encoder_model.dtype), return_dict=return_dict)


def _empty_config(cls, folder: Path):
    """The full config (defaults included) of a diffusers model, without loading or allocating its weights."""
    from accelerate import init_empty_weights

    with init_empty_weights():
        return cls.from_config(cls.load_config(folder)).config




def load_pipeline(models_dir: str | Path, *, precision: str, threads: int, int8: str = "off", vae_dtype=None,
                  lora: str = "runtime"):
    """A StableDiffusionPipeline on the cached IR (converted first when missing); returns (pipe, taesd or None).

    ``lora``: "runtime" (the LoRAs as switchable branches of the one UNet) or "fused" (the LCM-LoRA fused into a
    second UNet, as before issue 20; no draft adapter): only the benchmark asks for "fused"."""
    import diffusers
    import openvino as ov
    from diffusers import AutoencoderKL, AutoencoderTiny, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTokenizer

    models_dir = Path(models_dir)
    folders = cache.ensure_converted(models_dir, int8=int8, fused_lcm=lora == "fused")
    core = ov.Core()

    def compiled(component: str) -> CompiledModel:
        return CompiledModel(core, folders[component], precision, threads)

    generator_dir = models_dir / GENERATOR_DIR
    unet_config = _empty_config(UNet2DConditionModel, generator_dir / "unet")
    if lora == "fused":
        fused = {"lcm": compiled(cache.UNET_LCM)} if cache.UNET_LCM in folders else {}
        unet = OVUNet(compiled(cache.UNET), unet_config, fused=fused)
    elif cache.UNET_LORA in folders:  # every quality's LoRA as switchable branches of the one UNet
        unet = OVUNet(compiled(cache.UNET_LORA), unet_config, adapters=tuple(adapter_files(models_dir)))
    else:
        unet = OVUNet(compiled(cache.UNET), unet_config)
    text_encoder = OVTextEncoder(compiled(cache.TEXT_ENCODER),
                                 CLIPTextConfig.from_pretrained(generator_dir / "text_encoder"))
    has_fp16 = any((generator_dir / "vae").glob("*.fp16.safetensors"))
    torch_vae = AutoencoderKL.from_pretrained(generator_dir / "vae", dtype=vae_dtype or torch.float32,
                                              variant="fp16" if has_fp16 else None)  # fmt: skip
    torch_vae.decoder = torch.nn.Identity()  # decoding runs on OpenVINO: keep only the encoder's weights
    vae = OVDecoder(compiled(cache.VAE_DECODER), torch_vae.config, encoder_model=torch_vae)
    scheduler_config = diffusers.DDIMScheduler.load_config(generator_dir / "scheduler")
    scheduler = getattr(diffusers, scheduler_config["_class_name"]).from_config(scheduler_config)
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=CLIPTokenizer.from_pretrained(generator_dir / "tokenizer"),
        unet=unet, scheduler=scheduler, safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )  # fmt: skip
    pipe.set_progress_bar_config(disable=True)
    taesd = None
    if cache.TAESD_DECODER in folders:
        taesd = OVDecoder(compiled(cache.TAESD_DECODER), _empty_config(AutoencoderTiny, models_dir / TAESD_DIR))
    for model in (text_encoder.model, unet.model, vae.model):  # TAESD (and a fused UNet) compile on first use
        model.request()
    logger.info("OpenVINO %s: %s, adapters: %s, taesd: %s, int8: %s", ov.__version__, precision,
                list(unet.adapters) + list(unet.fused), taesd is not None, int8)  # fmt: skip
    return pipe, taesd
