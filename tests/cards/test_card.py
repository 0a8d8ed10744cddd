"""GET /api/generations/{id}/card: a one-page PDF (and PNG) with the design's pictures, the Russian description, size,
date, the baker's profile and a QR code of the share link; text checked with pdftotext (poppler-utils)."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from PIL import Image

from tests.conftest import skip_or_fail
from tests.helpers import both_stores

PROMPT = "Двухъярусный свадебный торт с живыми пионами и золотыми бусинами"


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        skip_or_fail("no pdftotext (apt-get install poppler-utils)")
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True, timeout=60)
    return " ".join(result.stdout.decode("utf-8").split())


def pdf_images(data: bytes, tmp_path) -> list:
    path = tmp_path / "card.pdf"
    path.write_bytes(data)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return [line for line in listing.splitlines()[2:] if line.strip()]


def finished_design(stack, headers, **body) -> dict:
    r = stack.client.post("/api/generations", headers=headers,
                          json={"prompt": PROMPT, "quality": "fast", "variants": 2, **body})
    assert r.status_code == 202, r.text
    design = stack.wait(r.json()["id"], headers)
    assert design["status"] == "succeeded", design
    return design


@both_stores
def test_card_pdf_and_png_carry_the_design_the_baker_and_the_share_link(stack, tmp_path):
    headers = stack.user(deposit=100)
    profile = {"display_name": "Кондитерская «Марина»", "contact": "+7 900 123-45-67, @marina_cakes"}
    assert stack.client.patch("/api/me/profile", headers=headers, json=profile).json() == profile
    design = finished_design(stack, headers, inscription={"text": "Анна и Иван", "font": "serif"})
    balance = stack.client.get("/api/me/balance", headers=headers).json()["balance"]

    r = stack.client.get(f"/api/generations/{design['id']}/card", headers=headers)

    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    for expected in ("Кондитерская «Марина»", "+7 900 123-45-67, @marina_cakes", PROMPT, "«Анна и Иван»",
                     "Квадрат 512×512", design["created_at"][8:10] + "." + design["created_at"][5:7]):
        assert expected in text, (expected, text)
    # The card made the share link; the same one is printed (and encoded in the QR code).
    link = stack.client.post(f"/api/generations/{design['id']}/share", headers=headers).json()
    assert link["url"] in text
    assert len(pdf_images(r.content, tmp_path)) >= 3  # two pictures and the QR code
    # A card is free.
    assert stack.client.get("/api/me/balance", headers=headers).json()["balance"] == balance

    r = stack.client.get(f"/api/generations/{design['id']}/card?format=png", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(r.content)) as page:
        assert page.size == (1240, 1754)  # A4 at 150 dpi
    # The share link was made once, not again for the second card.
    again = stack.client.post(f"/api/generations/{design['id']}/share", headers=headers).json()
    assert again["token"] == link["token"]


@both_stores
def test_without_a_profile_the_card_still_renders(stack):
    headers = stack.user(deposit=100)
    design = finished_design(stack, headers, variants=1)
    r = stack.client.get(f"/api/generations/{design['id']}/card", headers=headers)
    assert r.status_code == 200
    assert "Кондитер —" in pdf_text(r.content)


@pytest.fixture
def queued(client, register):
    """A design that stays queued (the plain client has no worker), with its owner and a stranger."""
    _, owner = register()
    _, stranger = register()
    assert client.post("/api/me/deposit", json={"amount": 50}, headers=owner).status_code == 200
    r = client.post("/api/generations", headers=owner, json={"prompt": PROMPT})
    assert r.status_code == 202, r.text
    return r.json()["id"], owner, stranger


def test_card_refusals(client, queued):
    generation_id, owner, stranger = queued
    assert client.get(f"/api/generations/{generation_id}/card").status_code == 401
    assert client.get(f"/api/generations/{generation_id}/card", headers=stranger).status_code == 404
    assert client.get("/api/generations/nope/card", headers=owner).status_code == 404
    r = client.get(f"/api/generations/{generation_id}/card", headers=owner)
    assert r.status_code == 409 and "готового" in r.json()["detail"]
    r = client.get(f"/api/generations/{generation_id}/card?format=docx", headers=owner)
    assert r.status_code == 422 and "pdf или png" in r.json()["detail"]
