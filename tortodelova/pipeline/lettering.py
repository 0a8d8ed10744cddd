"""The chef's inscription drawn on a design as a separate layer: real Cyrillic lettering that SD 1.5 cannot draw.

Three faces with Cyrillic glyphs from Debian font packages (licences allow shipping them): a script face (URW Z003,
fonts-urw-base35), a serif (PT Serif, fonts-paratype) and a sans (PT Sans, fonts-paratype). Five icing colours,
each with an outline and a soft shadow so it reads on any cake; four positions; the size is fitted to the text and
the image, wrapping onto up to three lines. A character the face has no glyph for (emoji, rare symbols) is refused
with a Russian message instead of being drawn as a box.

PIL and fontTools only: the web process uses this too (re-lettering, live preview) and never imports torch.
"""
from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tortodelova.pipeline.errors import PipelineError

MAX_CHARS = 40
MAX_LINES = 3
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


@dataclass(frozen=True)
class Face:
    title: str
    files: tuple[str, ...]  # paths under a font directory, first found wins
    package: str
    scale: float = 1.0  # script faces look smaller at the same point size


FACES = {
    "script": Face("Каллиграфический", ("opentype/urw-base35/Z003-MediumItalic.otf",
                                         "truetype/urw-base35/Z003-MediumItalic.ttf"), "fonts-urw-base35", 1.25),
    "serif": Face("С засечками", ("truetype/paratype/PTF75F.ttf",), "fonts-paratype"),
    "sans": Face("Рубленый", ("truetype/paratype/PTS75F.ttf",), "fonts-paratype"),
}


@dataclass(frozen=True)
class Colour:
    title: str
    fill: tuple[int, int, int]
    outline: tuple[int, int, int]
    plate: tuple[int, int, int]  # the plaque behind the text: the opposite tone of the fill


COLOURS = {
    "gold": Colour("Золото", (222, 178, 58), (74, 44, 14), (252, 246, 232)),
    "white": Colour("Белый", (255, 255, 255), (72, 44, 28), (92, 58, 38)),
    "chocolate": Colour("Шоколад", (86, 46, 22), (250, 238, 222), (252, 244, 230)),
    "pink": Colour("Розовый", (242, 120, 168), (104, 26, 58), (255, 248, 250)),
    "black": Colour("Чёрный", (24, 20, 20), (255, 255, 255), (255, 252, 246)),
}

# Boxes as fractions of the image (left, top, right, bottom). The plaque is the centred plate the prompt asked for.
POSITIONS = {
    "plaque": (0.17, 0.36, 0.83, 0.64),
    "top": (0.06, 0.04, 0.94, 0.26),
    "center": (0.06, 0.36, 0.94, 0.64),
    "bottom": (0.06, 0.74, 0.94, 0.96),
}
POSITION_TITLES = {"plaque": "На табличке", "top": "Сверху", "center": "По центру", "bottom": "Снизу"}
DEFAULT_FONT, DEFAULT_COLOR, DEFAULT_POSITION = "script", "gold", "plaque"


class LetteringError(PipelineError):
    """The inscription cannot be drawn as asked; ``message_ru`` says why."""


class FontMissing(LetteringError):
    def __init__(self, *, face: str, package: str):
        self.face, self.package = face, package
        super().__init__(
            f"Шрифт для надписи («{FACES[face].title}») не установлен на сервере. Администратору: "
            f"установите пакет {package} (apt-get install {package})."
        )


@dataclass(frozen=True)
class Inscription:
    text: str
    font: str = DEFAULT_FONT
    color: str = DEFAULT_COLOR
    position: str = DEFAULT_POSITION

    def as_dict(self) -> dict:
        return {"text": self.text, "font": self.font, "color": self.color, "position": self.position}


def system_font(names: tuple[str, ...]) -> Path | None:
    """The first of ``names`` (paths under a system font directory) that is installed."""
    for root in FONT_DIRS:
        for name in names:
            if (root / name).is_file():
                return root / name
    return None


def font_path(face: str) -> Path:
    spec = FACES[face]
    path = system_font(spec.files)
    if path is None:
        raise FontMissing(face=face, package=spec.package)
    return path


@lru_cache(maxsize=8)
def _codepoints(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


@lru_cache(maxsize=64)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _choice(value, options: dict, *, what: str, default: str) -> str:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value not in options:
        raise LetteringError(f"{what}: «{value}» — нет такого варианта; можно: {', '.join(options)}")
    return value


def inscription(text, *, font=None, color=None, position=None) -> Inscription:
    """Check an inscription against the chosen face; every refusal says what to change, in Russian."""
    if not isinstance(text, str):
        raise LetteringError("Надпись: нужен текст")
    # NFC: "й" typed as "и" + combining breve is the one glyph the fonts have.
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if not text:
        raise LetteringError("Надпись пустая: напишите текст или уберите надпись")
    if len(text) > MAX_CHARS:
        raise LetteringError(f"Надпись слишком длинная: {len(text)} символов, можно не больше {MAX_CHARS}")
    face = _choice(font, FACES, what="Шрифт надписи", default=DEFAULT_FONT)
    colour = _choice(color, COLOURS, what="Цвет надписи", default=DEFAULT_COLOR)
    place = _choice(position, POSITIONS, what="Место надписи", default=DEFAULT_POSITION)
    cmap = _codepoints(font_path(face))
    bad = [ch for ch in dict.fromkeys(text) if ch != " " and (ord(ch) not in cmap
                                                               or unicodedata.category(ch)[0] in "CZ")]
    if bad:
        # Invisible and combining characters are named by code point: quoted they would show as nothing.
        shown = " ".join(f"«{ch}»" if unicodedata.category(ch)[0] not in "CZM" else f"U+{ord(ch):04X}" for ch in bad)
        raise LetteringError(
            f"Эти символы нельзя нарисовать шрифтом «{FACES[face].title}»: {shown}. "
            "Уберите эмодзи и редкие символы — оставьте буквы, цифры и обычные знаки препинания."
        )
    return Inscription(text=text, font=face, color=colour, position=place)


def _layouts(text: str) -> list[str]:
    """The text on one, two or three lines, broken between words as evenly as possible."""
    words = text.split(" ")
    options = [text]
    for lines in range(2, min(MAX_LINES, len(words)) + 1):
        # Greedy by target length: good enough for at most 40 characters.
        target = len(text) / lines
        chunks, current = [], []
        for word in words:
            if current and len(" ".join([*current, word])) > target * 1.15 and len(chunks) < lines - 1:
                chunks.append(" ".join(current))
                current = []
            current.append(word)
        chunks.append(" ".join(current))
        options.append("\n".join(chunks))
    return options


def _fit(text: str, path: Path, scale: float, box_w: int, box_h: int) -> tuple[str, int]:
    """The layout and the largest font size at which it fits the box."""
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    best = (text, 6)
    for layout in _layouts(text):
        low, high = 6, max(8, int(box_h * scale))
        while low < high:
            size = (low + high + 1) // 2
            font = _font(path, size)
            left, top, right, bottom = probe.multiline_textbbox((0, 0), layout, font=font, align="center",
                                                                spacing=size // 6, stroke_width=_stroke(size))
            if right - left <= box_w and bottom - top <= box_h:
                low = size
            else:
                high = size - 1
        if low > best[1]:
            best = (layout, low)
    return best


def _stroke(size: int) -> int:
    return max(1, round(size / 14))


def region(size: tuple[int, int], position: str) -> tuple[int, int, int, int]:
    """The pixel box (left, top, right, bottom) the lettering of ``position`` stays inside."""
    width, height = size
    fl, ft, fr, fb = POSITIONS[position]
    return int(fl * width), int(ft * height), int(fr * width), int(fb * height)


def render_layer(size: tuple[int, int], spec: Inscription) -> Image.Image:
    """The lettering alone on a transparent RGBA layer the size of the image (plate, shadow, outline, text)."""
    width, height = size
    path, face, colour = font_path(spec.font), FACES[spec.font], COLOURS[spec.color]
    box = region(size, spec.position)
    pad = max(2, int(min(width, height) * 0.03)) if spec.position == "plaque" else 0
    layout, font_size = _fit(spec.text, path, face.scale, box[2] - box[0] - 2 * pad, box[3] - box[1] - 2 * pad)
    font = _font(path, font_size)
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    options = {"font": font, "anchor": "mm", "align": "center", "spacing": font_size // 6}

    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    if spec.position == "plaque":
        plate = Image.new("RGBA", size, (0, 0, 0, 0))
        ImageDraw.Draw(plate).rounded_rectangle(box, radius=(box[3] - box[1]) // 3, fill=(*colour.plate, 200),
                                                outline=(*colour.outline, 160), width=max(1, pad // 3))
        layer = Image.alpha_composite(layer, plate)
    shadow = Image.new("RGBA", size, (0, 0, 0, 0))
    offset = max(1, font_size // 18)
    ImageDraw.Draw(shadow).multiline_text((centre[0] + offset, centre[1] + offset), layout, fill=(0, 0, 0, 150),
                                          stroke_width=_stroke(font_size), stroke_fill=(0, 0, 0, 150), **options)
    layer = Image.alpha_composite(layer, shadow.filter(ImageFilter.GaussianBlur(max(1, font_size / 20))))
    ImageDraw.Draw(layer).multiline_text(centre, layout, fill=(*colour.fill, 255), stroke_width=_stroke(font_size),
                                         stroke_fill=(*colour.outline, 255), **options)
    return layer


def draw(image: Image.Image, spec: Inscription) -> Image.Image:
    """A new RGB image: ``image`` with the lettering layer composited on top; ``image`` is left as it was."""
    base = image.convert("RGBA")
    return Image.alpha_composite(base, render_layer(base.size, spec)).convert("RGB")


def letter_png(png: bytes, spec: Inscription) -> bytes:
    """PNG in, lettered PNG out (the text chunks of the original, such as the generation parameters, kept)."""
    from PIL import PngImagePlugin

    with Image.open(io.BytesIO(png)) as source:
        source.load()
        info = PngImagePlugin.PngInfo()
        for key, value in (getattr(source, "text", None) or {}).items():
            info.add_text(key, value)
        info.add_text("inscription", spec.text)
        lettered = draw(source, spec)
    out = io.BytesIO()
    lettered.save(out, format="PNG", pnginfo=info)
    return out.getvalue()
