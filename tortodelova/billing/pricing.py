"""The price list. Every charge in the service is computed by `price()`; `/api/pricing` shows the same table.
The sizes and qualities themselves (names, titles, pixels) are `tortodelova.vocabulary`'s."""
from __future__ import annotations

from tortodelova.errors import InvalidInput
from tortodelova.vocabulary import MAX_VARIANTS, QUALITY_TITLES, SIZES, Size

__all__ = ["QUALITIES", "SIZES", "STANDARD_PRICE", "Size", "price", "price_per_image", "pricing_table"]
QUALITIES = {quality: QUALITY_TITLES[quality] for quality in ("standard", "fast", "draft")}  # the table's order

# Standard 512×512 costs 10 credits, as in the original service; the larger sizes 15; fast quality half (rounded up),
# draft half of fast (rounded up): 3 credits for a square, 4 for the larger sizes.
STANDARD_PRICE = {"square": 10, "portrait": 15, "landscape": 15}


def price_per_image(size: str, quality: str) -> int:
    if size not in SIZES:
        raise InvalidInput(f"Неизвестный размер «{size}»: выберите один из {', '.join(SIZES)}")
    if quality not in QUALITIES:
        raise InvalidInput(f"Неизвестное качество «{quality}»: выберите одно из {', '.join(QUALITIES)}")
    base = STANDARD_PRICE[size]
    if quality == "standard":
        return base
    fast = -(-base // 2)
    return fast if quality == "fast" else -(-fast // 2)


def price(*, size: str, quality: str, variants: int) -> int:
    if not isinstance(variants, int) or isinstance(variants, bool) or not 1 <= variants <= MAX_VARIANTS:
        raise InvalidInput(f"Количество вариантов должно быть от 1 до {MAX_VARIANTS}")
    return price_per_image(size, quality) * variants


def pricing_table() -> dict:
    return {
        "currency": "credits",
        "max_variants": MAX_VARIANTS,
        "items": [
            {"size": s.id, "title": s.title, "width": s.width, "height": s.height, "quality": q,
             "quality_title": QUALITIES[q], "credits_per_image": price_per_image(s.id, q)}
            for s in SIZES.values() for q in QUALITIES
        ],
    }
