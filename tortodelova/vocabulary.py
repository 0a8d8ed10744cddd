"""The vocabulary of a generation request, in one place: limits, the names of sizes, qualities, fonts, colours,
positions and statuses, with their Russian titles and the pixel size of each size name.

Imported by the request schema, the service, pricing (which adds only prices), the pipeline's input checks and the
UI, so a name or a limit changes once. The style presets (names, titles, prompt text) are the pipeline's
`prompts.STYLES`. Infrastructure level: imports nothing from the project.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

PROMPT_MAX_CHARS = 500
NEGATIVE_MAX_CHARS = 500
PROMPT_EN_MAX_CHARS = 1000
SEED_MAX = 2**32 - 1
MAX_VARIANTS = 4
STRENGTH_RANGE = (0.2, 0.9)
STRENGTH_DEFAULT = 0.6
# «Доработать» (a draft re-rendered in fast or standard from the draft picture, same seed): SDEdit's finding (Meng et
# al. 2021) is that starting from t0 in about [0.3, 0.6] of the schedule keeps the layout and colours of the guide
# while the model redraws the detail; 0.5 is the middle of that band, below the 0.6 of «Похожий дизайн» (a variation
# may move further), and the few-step draft has the tiers, shape and palette right but soft detail.
REFINE_STRENGTH = 0.5
INSCRIPTION_MAX_CHARS = 40
ID_MAX_CHARS = 64  # generation and upload ids are UUIDs; anything longer is not ours

SizeName = Literal["square", "portrait", "landscape"]
QualityName = Literal["draft", "fast", "standard"]
FontName = Literal["script", "serif", "sans"]
ColorName = Literal["gold", "white", "chocolate", "pink", "black"]
PositionName = Literal["plaque", "top", "center", "bottom"]
StatusName = Literal["queued", "running", "succeeded", "failed", "cancelled"]

SIZE_NAMES: tuple[str, ...] = get_args(SizeName)
QUALITY_NAMES: tuple[str, ...] = get_args(QualityName)
FONT_NAMES: tuple[str, ...] = get_args(FontName)
COLOR_NAMES: tuple[str, ...] = get_args(ColorName)
POSITION_NAMES: tuple[str, ...] = get_args(PositionName)
STATUS_NAMES: tuple[str, ...] = get_args(StatusName)
FINAL_STATUS_NAMES = ("succeeded", "failed", "cancelled")

DEFAULT_SIZE = "square"
DEFAULT_QUALITY = "standard"
DEFAULT_FONT = "script"
DEFAULT_COLOR = "gold"
DEFAULT_POSITION = "plaque"



@dataclass(frozen=True)
class Size:
    id: str
    name: str  # the short Russian name the UI shows on its buttons
    width: int
    height: int

    @property
    def title(self) -> str:
        return f"{self.name} {self.width}×{self.height}"


SIZES: dict[str, Size] = {
    "square": Size("square", "Квадрат", 512, 512),
    "portrait": Size("portrait", "Портрет", 512, 768),
    "landscape": Size("landscape", "Альбом", 768, 512),
}
QUALITY_TITLES = {"draft": "Черновик", "fast": "Быстро", "standard": "Качественно"}
STATUS_TITLES = {
    "queued": "В очереди", "running": "Рисуем", "succeeded": "Готово", "failed": "Ошибка", "cancelled": "Отменено",
}
