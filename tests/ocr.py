"""Reading an inscription back from an image with tesseract (Debian tesseract-ocr + tesseract-ocr-rus).

The lettering is keyed out by its fill colour (the outline and the cake around it become white paper), then read at
three scales: tesseract wants letters of a certain height, and the fitted size varies with the text.
"""
from __future__ import annotations

import difflib
import io
import shutil
import subprocess

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from tortodelova.pipeline import lettering


def tesseract_or_skip():
    from tests.conftest import skip_or_fail

    if shutil.which("tesseract") is None:
        skip_or_fail("no tesseract (apt-get install tesseract-ocr tesseract-ocr-rus)")
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    if "rus" not in langs:
        skip_or_fail("tesseract has no Russian data (apt-get install tesseract-ocr-rus)")


def letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def read_back(image: Image.Image, *, color: str, position: str) -> list[str]:
    """What tesseract reads inside the lettering region, one reading per scale."""
    crop = image.convert("RGB").crop(lettering.region(image.size, position))
    pixels = np.asarray(crop, dtype=np.int32)
    distance = np.sqrt(((pixels - np.array(lettering.COLOURS[color].fill)) ** 2).sum(-1))
    ink = Image.fromarray(np.where(distance < 60, 0, 255).astype("uint8")).filter(ImageFilter.MedianFilter(3))
    readings = []
    for scale in (0.5, 1.0, 2.0):
        page = ink.resize((max(1, int(ink.width * scale)), max(1, int(ink.height * scale))), Image.LANCZOS)
        buffer = io.BytesIO()
        ImageOps.expand(page, 20, fill=255).save(buffer, format="PNG")
        result = subprocess.run(["tesseract", "stdin", "stdout", "-l", "rus", "--psm", "6"], input=buffer.getvalue(),
                                capture_output=True, timeout=60)
        readings.append(result.stdout.decode("utf-8", "replace"))
    return readings


def similarity(expected: str, readings: list[str]) -> float:
    """How close the best reading is to the expected text (letters and digits only, case folded), 0..1.

    Each run of one to three consecutive lines of a reading is compared on its own: speckles of the cake that share
    the icing colour come out as lines of junk around the real text, and must not dilute it."""
    target, best = letters(expected), 0.0
    for reading in readings:
        lines = [line for line in reading.splitlines() if letters(line)]
        for start in range(len(lines)):
            for end in range(start + 1, min(start + 3, len(lines)) + 1):
                candidate = letters("".join(lines[start:end]))
                best = max(best, difflib.SequenceMatcher(None, target, candidate).ratio())
    return best
