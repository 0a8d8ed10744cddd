import io
import math

import numpy as np
import pytest
import torch
from diffusers import DPMSolverMultistepScheduler, LCMScheduler
from PIL import Image

from tortodelova.pipeline.errors import BadOutput, GenerationCancelled
from tortodelova.pipeline.generator import MAX_IMAGES, CakeGenerator, ImageRequest, bad_images, png_bytes
from tortodelova.pipeline.preview import SD15_LATENT_RGB_FACTORS, latents_to_rgb

PROMPT = "a two-tier wedding cake with white fondant and fresh flowers"
NEGATIVE = "blurry, text"


@pytest.fixture(scope="module")
def generator(tiny_models_dir) -> CakeGenerator:
    return CakeGenerator.from_pretrained(tiny_models_dir, device="cpu", backend="torch")


def make_request(**overrides) -> ImageRequest:
    fields = dict(prompt=PROMPT, negative_prompt=NEGATIVE, width=512, height=512, seeds=[7], steps=2)
    return ImageRequest(**{**fields, **overrides})


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def test_batch_returns_given_seeds_and_is_deterministic_per_seed(generator):
    request = make_request(seeds=[11, 2**40 + 3])

    first = generator(request)
    again = generator(request)
    alone = generator(make_request(seeds=[2**40 + 3]))

    assert first.seeds == [11, 2**40 + 3]
    assert [image.size for image in first.images] == [(512, 512), (512, 512)]
    assert (first.steps, first.guidance, first.scheduler, first.model) == (2, 7.0, "dpm++2m-karras", "dreamshaper-8")
    assert all(np.array_equal(pixels(a), pixels(b)) for a, b in zip(first.images, again.images))
    assert not np.array_equal(pixels(first.images[0]), pixels(first.images[1]))
    # The same seed gives the same picture whether it is generated alone or inside a batch.
    assert np.abs(pixels(alone.images[0]) - pixels(first.images[1])).max() <= 2
    assert set(first.timings) == {"encode", "denoise", "decode"}


def test_callback_reports_every_step_with_previews(generator):
    events = []

    generator(make_request(steps=3), callback=lambda step, total, preview: events.append((step, total, preview)))

    assert [(step, total) for step, total, _ in events] == [(1, 3), (2, 3), (3, 3)]
    previews = [preview for _, _, preview in events if preview is not None]
    # Drawn at most 256 px a side (shown at most 320 CSS px wide), in the image's proportions.
    assert previews and all(preview.size == (256, 256) and preview.mode == "RGB" for preview in previews)
    assert events[-1][2] is None  # no preview of the last step: the real image follows

    events.clear()
    generator(make_request(steps=3, width=512, height=768), callback=lambda *event: events.append(event))
    assert {preview.size for _, _, preview in events if preview is not None} == {(171, 256)}


def test_cancel_from_callback_stops_and_generator_stays_usable(generator):
    seen = []

    def cancel_at_first_step(step, total, preview):
        seen.append(step)
        raise GenerationCancelled()

    with pytest.raises(GenerationCancelled):
        generator(make_request(steps=3), callback=cancel_at_first_step)

    assert seen == [1]
    assert len(generator(make_request(steps=1)).images) == 1


def test_fast_quality_uses_lcm_lora_and_lcm_scheduler(generator):
    assert generator.lcm_adapter == "lcm"
    assert "lcm" in generator.unet.peft_config
    latents = torch.randn(1, 4, 64, 64, generator=torch.Generator().manual_seed(0)).to(generator.dtype)
    text = torch.randn(1, 77, generator.unet.config.cross_attention_dim,
                       generator=torch.Generator().manual_seed(1)).to(generator.dtype)

    result = generator(make_request(quality="fast", seeds=[3, 4]))
    fast_scheduler = generator.pipe.scheduler
    with torch.inference_mode():
        with_lora = generator.unet(latents, 500, text).sample
        standard = generator(make_request(steps=1))
        without_lora = generator.unet(latents, 500, text).sample

    assert isinstance(fast_scheduler, LCMScheduler)
    assert isinstance(generator.pipe.scheduler, DPMSolverMultistepScheduler)
    assert generator.pipe.scheduler.config.use_karras_sigmas
    assert (result.scheduler, result.guidance, result.model) == ("lcm", 1.0, "dreamshaper-8+lcm-lora-sdv1-5")
    assert result.seeds == [3, 4] and len(result.images) == 2
    assert standard.model == "dreamshaper-8"
    # The adapter changes the UNet while it is on and is switched off again for standard quality.
    assert (with_lora - without_lora).abs().max() > 1e-3


def test_fast_quality_defaults_to_four_lcm_steps_with_taesd(generator):
    sampling = generator.sampling(make_request(quality="fast", steps=None))

    assert (sampling.scheduler, sampling.steps, sampling.guidance, sampling.decoder) == ("lcm", 4, 1.0, "taesd")
    assert generator.sampling(make_request(steps=None)).steps == 25


def test_fast_quality_without_lcm_lora_or_taesd_falls_back_to_short_dpm(generator):
    without_extras = CakeGenerator(generator.pipe, taesd=None, lcm_adapter=None)

    sampling = without_extras.sampling(make_request(quality="fast", steps=None))

    assert (sampling.scheduler, sampling.steps, sampling.adapter, sampling.decoder) == ("dpm++2m-karras", 10, None,
                                                                                        "vae")


def test_draft_is_the_hyper_sd_lora_with_one_tcd_step_and_no_guidance(generator):
    assert generator.draft_adapter == "draft" and "draft" in generator.unet.peft_config
    sampling = generator.sampling(make_request(quality="draft", steps=None))
    assert (sampling.scheduler, sampling.steps, sampling.guidance, sampling.adapter, sampling.decoder,
            sampling.timesteps, sampling.eta) == ("tcd", 1, 0.0, "draft", "taesd", (800,), 1.0)  # fmt: skip
    result = generator(make_request(quality="draft", steps=None, seeds=[4, 5]))
    again = generator(make_request(quality="draft", steps=None, seeds=[5]))
    assert (result.steps, result.model) == (1, "dreamshaper-8+hyper-sd15-1step")
    alone = np.asarray(again.images[0], dtype=np.int16)
    assert np.abs(np.asarray(result.images[1], dtype=np.int16) - alone).max() <= 2  # batch-size rounding only
    assert np.abs(np.asarray(result.images[0], dtype=np.int16) - alone).max() > 2  # another seed, another image
    # Without the Hyper-SD file the draft is two LCM steps; without either LoRA, six DPM++ steps.
    lcm_only = CakeGenerator(generator.pipe, taesd=generator.taesd, lcm_adapter="lcm")
    plain = CakeGenerator(generator.pipe, taesd=None)
    assert (lcm_only.sampling(make_request(quality="draft", steps=None)).scheduler,
            lcm_only.sampling(make_request(quality="draft", steps=None)).steps) == ("lcm", 2)  # fmt: skip
    assert plain.sampling(make_request(quality="draft", steps=None)).steps == 6


def test_variation_shares_components_and_runs_the_requested_steps(generator):
    source = generator(make_request(seeds=[5])).images[0]

    result = generator(make_request(seeds=[5, 6], init_image=source, strength=0.5))

    for name, component in generator.pipe.components.items():
        assert generator.img2img.components[name] is component, name
    assert result.steps == 2 and result.seeds == [5, 6]
    assert [image.size for image in result.images] == [(512, 512), (512, 512)]
    assert not np.array_equal(pixels(result.images[0]), pixels(result.images[1]))


def test_nan_latents_raise_bad_output(generator):
    with pytest.raises(BadOutput), torch.inference_mode():
        generator.decode(torch.full((1, 4, 64, 64), math.nan))


def test_fp16_overflow_is_decoded_again_in_fp32(generator):
    # Latents this large overflow float16 inside the VAE: the first decode is NaN, the fp32 retry is not.
    latents = torch.full((1, 4, 64, 64), 2e4)
    generator.vae.to(torch.float16)
    try:
        with torch.inference_mode():
            assert bad_images(generator._decode_with(generator.vae, latents, torch.float16)) == [0]
            images = generator.decode(latents)
    finally:
        generator.vae.to(torch.float32)

    assert len(images) == 1 and images[0].size == (512, 512)


def test_bad_images_flags_nan_and_black():
    images = torch.zeros(3, 3, 8, 8)
    images[1] = -1.0  # black after mapping [-1, 1] to [0, 1]
    images[2, 0, 0, 0] = math.inf

    assert bad_images(images) == [1, 2]


@pytest.mark.parametrize(
    ("overrides", "quoted"),
    [
        ({"width": 500}, "500"),
        ({"width": 640, "height": 640}, "640x640"),
        ({"seeds": list(range(MAX_IMAGES + 1))}, f"{MAX_IMAGES + 1} were given"),
        ({"seeds": [-1]}, "-1"),
        ({"quality": "ultra"}, "'ultra'"),
        ({"strength": 0.5}, "init_image"),
        ({"init_image": Image.new("RGB", (8, 8)), "strength": 0.95}, "0.95"),
        ({"prompt": "  "}, "prompt"),
    ],
)
def test_check_inputs_quotes_the_bad_value(generator, overrides, quoted):
    with pytest.raises(ValueError, match=quoted):
        generator.check_inputs(make_request(**overrides))


def test_png_metadata_round_trip():
    metadata = {"prompt": PROMPT, "prompt_ru": "двухъярусный свадебный торт", "seed": "42", "steps": "25",
                "model": "dreamshaper-8"}  # fmt: skip

    data = png_bytes(Image.new("RGB", (16, 16), "white"), metadata)

    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert {key: image.text[key] for key in metadata} == metadata


def test_linear_preview_uses_sd15_factors():
    latents = np.zeros((4, 2, 2), dtype=np.float32)
    latents[3] = 1.0  # the fourth latent channel alone

    rgb = latents_to_rgb(latents)

    expected = np.round((np.clip((SD15_LATENT_RGB_FACTORS[3] + 1) / 2, 0, 1)) * 255).astype(np.uint8)
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert (rgb == expected).all()
    with pytest.raises(ValueError, match=r"\(3, 2, 2\)"):
        latents_to_rgb(np.zeros((3, 2, 2)))
