"""Drawing the customer card: one A4 layout, two backends (fpdf2 for the PDF, PIL for the PNG).

The PDF embeds PT Sans (fonts-paratype) as a TrueType subset, so its Cyrillic is text a reader can copy and
pdftotext extracts; the QR code (segno) of the share link is also a clickable link.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from tortodelova.pipeline.lettering import FontMissing, system_font

PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 15.0  # mm, A4 portrait
PNG_DPI = 150
INK, MUTED, ACCENT = (45, 30, 25), (120, 100, 90), (176, 96, 120)
REGULAR = ("truetype/paratype/PTS55F.ttf",)
BOLD = ("truetype/paratype/PTS75F.ttf",)


@dataclass
class CardContent:
    generation_id: str
    description: str
    size: str
    date: str
    share_url: str
    baker_name: str | None = None
    baker_contact: str | None = None
    inscription: str | None = None
    agreed_on: str | None = None  # «Согласовано DD.MM.YYYY» once the customer's choice is agreed (selections)
    images: list[Image.Image] = field(default_factory=list)


def fonts() -> tuple[Path, Path]:
    regular, bold = system_font(REGULAR), system_font(BOLD)
    if regular is None or bold is None:
        raise FontMissing(face="sans", package="fonts-paratype")
    return regular, bold


def qr_image(url: str) -> Image.Image:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=10, border=2, dark="#2d1e19")
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


class Canvas:
    """What the layout needs from a backend; units are millimetres, y grows downwards, text y is the top."""

    def measure(self, text: str, size: float, bold: bool) -> float: ...
    def text(self, x: float, y: float, text: str, size: float, bold: bool = False, color=INK) -> None: ...
    def image(self, image: Image.Image, x: float, y: float, w: float, h: float, link: str | None = None) -> None: ...
    def rule(self, x1: float, y: float, x2: float) -> None: ...


def wrap(canvas: Canvas, text: str, width: float, size: float, bold: bool = False, max_lines: int = 8) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if canvas.measure(candidate, size, bold) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip(" ,.;") + "…"
    return lines


def paragraph(canvas: Canvas, x: float, y: float, width: float, text: str, size: float, *, bold=False,
              color=INK, max_lines=8) -> float:
    """Draw wrapped text; returns the y under it."""
    step = size * 0.3528 * 1.35  # points to mm, with leading
    for line in wrap(canvas, text, width, size, bold, max_lines):
        canvas.text(x, y, line, size, bold, color)
        y += step
    return y


def layout(canvas: Canvas, card: CardContent) -> None:
    width = PAGE_W - 2 * MARGIN
    # 1. Header: the title and the date.
    canvas.text(MARGIN, MARGIN, "Эскиз торта", 24, bold=True, color=ACCENT)
    date = f"от {card.date}"
    canvas.text(PAGE_W - MARGIN - canvas.measure(date, 11, False), MARGIN + 3, date, 11, color=MUTED)
    if card.agreed_on:
        agreed = f"Согласовано {card.agreed_on}"
        canvas.text(PAGE_W - MARGIN - canvas.measure(agreed, 12, True), MARGIN - 3, agreed, 12, bold=True,
                    color=ACCENT)
    canvas.rule(MARGIN, MARGIN + 12, PAGE_W - MARGIN)

    # 2. The pictures, as large as the space allows.
    top, budget, gap = MARGIN + 16, 140.0, 4.0
    count = len(card.images)
    cols = 1 if count == 1 else 2
    rows = math.ceil(count / cols)
    cell_w, cell_h = (width - gap * (cols - 1)) / cols, (budget - gap * (rows - 1)) / rows
    y = top
    for row in range(rows):
        placed = card.images[row * cols:(row + 1) * cols]
        sizes = [(image.width * min(cell_w / image.width, cell_h / image.height),
                  image.height * min(cell_w / image.width, cell_h / image.height)) for image in placed]
        for col, (image, (w, h)) in enumerate(zip(placed, sizes)):
            canvas.image(image, MARGIN + col * (cell_w + gap) + (cell_w - w) / 2, y, w, h)
        y += max(h for _, h in sizes) + gap
    y += 4

    # 3. What the design is: the description, the inscription, the format.
    canvas.text(MARGIN, y, "Описание", 13, bold=True)
    y = paragraph(canvas, MARGIN, y + 7, width, card.description, 11, max_lines=7) + 2
    if card.inscription:
        y = paragraph(canvas, MARGIN, y, width, f"Надпись на торте: «{card.inscription}»", 11, bold=True) + 1
    y = paragraph(canvas, MARGIN, y, width, f"Формат эскиза: {card.size}", 10, color=MUTED)

    # 4. Footer: who made it (the baker's profile) and the QR code of the share link.
    qr_size, bottom = 36.0, PAGE_H - MARGIN
    canvas.rule(MARGIN, bottom - qr_size - 6, PAGE_W - MARGIN)
    fy = bottom - qr_size
    canvas.text(MARGIN, fy, "Кондитер", 10, color=MUTED)
    fy = paragraph(canvas, MARGIN, fy + 5, width - qr_size - 10, card.baker_name or "—", 14, bold=True,
                   max_lines=2)
    if card.baker_contact:
        fy = paragraph(canvas, MARGIN, fy + 1, width - qr_size - 10, card.baker_contact, 11, max_lines=2)
    paragraph(canvas, MARGIN, bottom - 9, width - qr_size - 10, f"Дизайн онлайн: {card.share_url}", 8,
              color=MUTED, max_lines=2)
    canvas.image(qr_image(card.share_url), PAGE_W - MARGIN - qr_size, bottom - qr_size, qr_size, qr_size,
                 link=card.share_url)


class PdfCanvas(Canvas):
    def __init__(self):
        from fpdf import FPDF

        regular, bold = fonts()
        self.pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(0, 0, 0)
        self.pdf.add_font("PTSans", style="", fname=str(regular))
        self.pdf.add_font("PTSans", style="B", fname=str(bold))
        self.pdf.add_page()

    def _font(self, size, bold):
        self.pdf.set_font("PTSans", "B" if bold else "", size)

    def measure(self, text, size, bold):
        self._font(size, bold)
        return self.pdf.get_string_width(text)

    def text(self, x, y, text, size, bold=False, color=INK):
        self._font(size, bold)
        self.pdf.set_text_color(*color)
        self.pdf.text(x, y + size * 0.3528 * 0.8, text)  # fpdf2 places text on its baseline

    def image(self, image, x, y, w, h, link=None):
        self.pdf.image(image, x=x, y=y, w=w, h=h, link=link or "")

    def rule(self, x1, y, x2):
        self.pdf.set_draw_color(*MUTED)
        self.pdf.set_line_width(0.3)
        self.pdf.line(x1, y, x2, y)


class PngCanvas(Canvas):
    def __init__(self):
        self.paths = fonts()
        self.scale = PNG_DPI / 25.4
        self.page = Image.new("RGB", (round(PAGE_W * self.scale), round(PAGE_H * self.scale)), "white")
        self.draw = ImageDraw.Draw(self.page)

    def _font(self, size, bold):
        return ImageFont.truetype(str(self.paths[1 if bold else 0]), max(1, round(size * PNG_DPI / 72)))

    def measure(self, text, size, bold):
        return self._font(size, bold).getlength(text) / self.scale

    def text(self, x, y, text, size, bold=False, color=INK):
        self.draw.text((x * self.scale, y * self.scale), text, font=self._font(size, bold), fill=color)

    def image(self, image, x, y, w, h, link=None):
        size = (max(1, round(w * self.scale)), max(1, round(h * self.scale)))
        where = (round(x * self.scale), round(y * self.scale))
        self.page.paste(image.convert("RGB").resize(size, Image.LANCZOS), where)

    def rule(self, x1, y, x2):
        self.draw.line([(x1 * self.scale, y * self.scale), (x2 * self.scale, y * self.scale)], fill=MUTED,
                       width=max(1, round(0.3 * self.scale)))


def pdf(card: CardContent) -> bytes:
    canvas = PdfCanvas()
    canvas.pdf.set_title(f"Эскиз торта — {card.description[:60]}")
    canvas.pdf.set_author(card.baker_name or "tortodelova")
    canvas.pdf.set_creator("tortodelova")
    layout(canvas, card)
    return bytes(canvas.pdf.output())


def png(card: CardContent) -> bytes:
    canvas = PngCanvas()
    layout(canvas, card)
    out = io.BytesIO()
    canvas.page.save(out, format="PNG", optimize=True)
    return out.getvalue()
