"""Torch checkpoints → OpenVINO IR with ``openvino.convert_model`` (called by openvino_cache when a folder is missing).

Each component is traced at a small example size and saved with dynamic batch and latent height/width, so one IR
serves every request size and batch. Weights are stored in fp16 (half the disk); the CPU plugin runs them in bf16
or f32 as the load asks. The LCM UNet is the base UNet with the LCM-LoRA fused into its weights.

Int8 (NNCF, opt-in through ``OPENVINO_INT8``, UNets only): ``weights`` compresses the weights to int8 (half the
memory, about the same speed); ``full`` quantizes weights and activations (post-training, SmoothQuant) on UNet inputs
recorded while sampling real prompts at the sampler's own timesteps. Both change the images: judge them on the real
weights before turning them on.
"""

import gc
import logging
from pathlib import Path

import torch

from tortodelova.pipeline.models import (
    GENERATOR_DIR,
    LCM_LORA_DIR,
    LCM_LORA_WEIGHTS,
    TAESD_DECODER,
    TAESD_DIR,
    TEXT_ENCODER,
    UNET,
    UNET_LCM,
    VAE_DECODER,
)
from tortodelova.pipeline.runtime import cpu_has_fast_bf16, physical_cores

logger = logging.getLogger(__name__)

# Calibration inputs for full int8: standard records 1 prompt x 25 DPM++ steps (each input a guidance pair), LCM
# 4 prompts x 4 steps. NNCF runs the f32 UNet over every input (twice: SmoothQuant, then the ranges), so the count is
# the conversion time: ~25 inputs keep it to minutes on a 2-core CPU while every timestep of the schedule is seen.
# (A change here goes with a bump of openvino_cache.CALIBRATION_VERSION, so full-int8 folders are rebuilt.)
STANDARD_CALIBRATION_PROMPTS = 1
EXAMPLE_BATCH, EXAMPLE_LATENT = 2, 32  # tracing size; the saved model is dynamic in both
CALIBRATION_PROMPTS = (
    "a two-tier wedding cake with white fondant, fresh peonies and gold leaf, professional food photography",
    "a chocolate drip cake with fresh berries and macarons, studio lighting, high detail",
    "a kids birthday cake shaped like a castle with pastel cream roses",
    "a rustic naked cake with figs and honey on a wooden board, soft daylight",
)


class _UNet(torch.nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states, return_dict=False)[0]


class _TextEncoder(torch.nn.Module):
    def __init__(self, text_encoder):
        super().__init__()
        self.text_encoder = text_encoder

    def forward(self, input_ids):
        return self.text_encoder(input_ids, return_dict=False)[0]


class _Decoder(torch.nn.Module):
    def __init__(self, autoencoder):
        super().__init__()
        self.autoencoder = autoencoder

    def forward(self, latent):
        return self.autoencoder.decode(latent, return_dict=False)[0]


class Converter:
    """Loads the torch models once (fp32) for all the components converted in one go."""

    def __init__(self, models_dir: Path):
        self.models_dir = Path(models_dir)
        self._pipe = None
        self._taesd = None
        self._lcm_fused = False

    @property
    def pipe(self):
        if self._pipe is None:
            from diffusers import StableDiffusionPipeline

            generator_dir = self.models_dir / GENERATOR_DIR
            has_fp16 = any((generator_dir / "unet").glob("*.fp16.safetensors"))
            self._pipe = StableDiffusionPipeline.from_pretrained(
                generator_dir, dtype=torch.float32, variant="fp16" if has_fp16 else None, safety_checker=None,
                feature_extractor=None, requires_safety_checker=False,
            )  # fmt: skip
            self._pipe.set_progress_bar_config(disable=True)
        return self._pipe

    def close(self) -> None:
        self._pipe = self._taesd = None
        gc.collect()

    def torch_module(self, component: str) -> tuple[torch.nn.Module, dict]:
        pipe = self.pipe
        if component in (UNET, UNET_LCM):
            self._set_lcm_fused(component == UNET_LCM)
            width = pipe.unet.config.cross_attention_dim
            example = {
                "sample": torch.randn(EXAMPLE_BATCH, pipe.unet.config.in_channels, EXAMPLE_LATENT, EXAMPLE_LATENT),
                "timestep": torch.tensor([999.0]),
                "encoder_hidden_states": torch.randn(EXAMPLE_BATCH, 77, width),
            }
            return _UNet(pipe.unet), example
        if component == TEXT_ENCODER:
            return _TextEncoder(pipe.text_encoder), {"input_ids": torch.ones(EXAMPLE_BATCH, 77, dtype=torch.int64)}
        channels = 4
        if component == VAE_DECODER:
            model = pipe.vae
        elif component == TAESD_DECODER:
            from diffusers import AutoencoderTiny

            model = self._taesd = self._taesd or AutoencoderTiny.from_pretrained(self.models_dir / TAESD_DIR)
        else:
            raise ValueError(f"unknown component {component!r}")
        return _Decoder(model), {"latent": torch.randn(1, channels, EXAMPLE_LATENT, EXAMPLE_LATENT)}

    def _set_lcm_fused(self, fused: bool) -> None:
        pipe = self.pipe
        if fused and not self._lcm_fused:
            pipe.load_lora_weights(self.models_dir / LCM_LORA_DIR, weight_name=LCM_LORA_WEIGHTS, adapter_name="lcm")
            pipe.fuse_lora(components=["unet"], adapter_names=["lcm"])
        elif not fused and self._lcm_fused:
            pipe.unfuse_lora(components=["unet"])
            pipe.unload_lora_weights()
        self._lcm_fused = fused

    @torch.inference_mode()
    def convert(self, component: str, target: Path, *, int8: str = "off", source: Path | None = None) -> None:
        """Trace ``component`` into ``target``; with ``source`` (the plain IR of a UNet) compress that to int8."""
        import openvino as ov

        if source is not None:
            model = ov.Core().read_model(source / "model.xml")
            model = compress(model, int8, calibration=lambda: self.calibration(component, source))
            ov.save_model(model, target, compress_to_fp16=False)
            return
        module, example = self.torch_module(component)
        module.eval()
        model = ov.convert_model(module, example_input=example)
        for port, name in zip(model.inputs, example):
            port.get_tensor().set_names({name})
        model.reshape({name: _dynamic_shape(name, tensor) for name, tensor in example.items()})
        ov.save_model(model, target, compress_to_fp16=True)
        del model, module
        gc.collect()

    def calibration(self, component: str, source: Path) -> list[dict]:
        """UNet inputs recorded while sampling the calibration prompts with the service's sampler for this UNet
        (LCM 4 steps, or DPM++ 2M Karras 25 steps with guidance), the UNet itself running on OpenVINO from
        ``source``."""
        import openvino as ov
        from diffusers import DPMSolverMultistepScheduler, LCMScheduler


        pipe = self.pipe
        lcm = component == UNET_LCM
        config = pipe.scheduler.config
        if lcm:
            scheduler, steps, guidance, prompts = LCMScheduler.from_config(config), 4, 1.0, CALIBRATION_PROMPTS
        else:
            scheduler = DPMSolverMultistepScheduler.from_config(
                config, algorithm_type="dpmsolver++", solver_type="midpoint", solver_order=2, use_karras_sigmas=True
            )
            steps, guidance, prompts = 25, 7.0, CALIBRATION_PROMPTS[:STANDARD_CALIBRATION_PROMPTS]
        precision = "bf16" if cpu_has_fast_bf16() else "f32"
        compiled = ov.Core().compile_model(source / "model.xml", "CPU", {"INFERENCE_PRECISION_HINT": precision,
                                           "INFERENCE_NUM_THREADS": physical_cores()})  # fmt: skip
        recorded = []

        def record(sample, timestep, encoder_hidden_states, *args, **kwargs):
            inputs = {"sample": sample.float().numpy(), "timestep": torch.as_tensor(timestep).float().reshape(1)
                      .numpy(), "encoder_hidden_states": encoder_hidden_states.float().numpy()}  # fmt: skip
            recorded.append(inputs)
            return (torch.from_numpy(compiled(inputs)[0].copy()),)

        pipe.scheduler = scheduler
        pipe.unet.forward = record
        try:
            for index, prompt in enumerate(prompts):
                pipe(prompt, negative_prompt="blurry, deformed, text", num_inference_steps=steps,
                     guidance_scale=guidance, width=512, height=512, output_type="latent",
                     generator=torch.Generator().manual_seed(index))  # fmt: skip
        finally:
            del pipe.unet.forward
        return recorded


def _dynamic_shape(name: str, tensor: torch.Tensor):
    import openvino as ov

    shape = list(tensor.shape)
    if name in ("sample", "latent"):
        shape = [-1, shape[1], -1, -1]
    elif name in ("encoder_hidden_states", "input_ids"):
        shape[0] = -1
    else:  # timestep
        shape = [-1]
    return ov.PartialShape(shape)


def compress(model, int8: str, *, calibration):
    import nncf

    if int8 == "weights":
        return nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    samples = calibration()
    logger.warning("OpenVINO: full int8 quantization of the UNet on %d recorded inputs", len(samples))
    # ModelType.TRANSFORMER: SmoothQuant on the attention/FFN MatMuls, which is what made int8 activations pay.
    return nncf.quantize(model, nncf.Dataset(samples), model_type=nncf.ModelType.TRANSFORMER, subset_size=len(samples))
