"""The `generation.links.Links` every edge uses, as one class: REST paths, demo paths with the claim token, or
signed short-lived links for the UI and the admin screens (an `<img>` sends no Authorization header)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from tortodelova.config import Settings
from tortodelova.generation.images import signed_image_path
from tortodelova.generation.models import Generation

REST_BASE = "/api/generations"
DEMO_BASE = "/api/demo/generations"


@dataclass(frozen=True)
class ImageLinks:
    """`base` set: `{base}/{id}/images/{n}[/download|/plain]`, with `?claim_token=` when given, plus a signed link
    for <img>. `base` None: every link is signed (the Gradio UI and the admin screens)."""

    settings: Settings
    base: str | None = REST_BASE
    claim_token: str | None = None

    def _path(self, generation: Generation, index: int, tail: str = "") -> str:
        suffix = f"?claim_token={quote(self.claim_token, safe='')}" if self.claim_token else ""
        return f"{self.base}/{generation.id}/images/{index}{tail}{suffix}"

    def _signed(self, generation: Generation, index: int, variant: str = "") -> str:
        return signed_image_path(settings=self.settings, generation_id=generation.id, index=index, variant=variant)

    def image(self, generation: Generation, index: int) -> str:
        return self._path(generation, index) if self.base else self._signed(generation, index)

    def download(self, generation: Generation, index: int) -> str:
        if self.base:
            return self._path(generation, index, "/download")
        return self._signed(generation, index) + "&download=1"

    def plain(self, generation: Generation, index: int) -> str:
        return self._path(generation, index, "/plain") if self.base else self._signed(generation, index, "plain")

    def signed(self, generation: Generation, index: int) -> str | None:
        return self._signed(generation, index)


def RestLinks(settings: Settings) -> ImageLinks:  # noqa: N802 - reads like the class it builds
    """`/api/generations/{id}/images/{n}` (the owner's bearer token or cookie), plus a signed link for <img>."""
    return ImageLinks(settings)


def DemoLinks(settings: Settings, claim_token: str | None = None) -> ImageLinks:  # noqa: N802
    """`/api/demo/generations/{id}/images/{n}`, carrying the claim token when the guest has one."""
    return ImageLinks(settings, base=DEMO_BASE, claim_token=claim_token)


def SignedLinks(settings: Settings) -> ImageLinks:  # noqa: N802
    """Every link signed and short-lived."""
    return ImageLinks(settings, base=None)


SHARE_PATH = "/s/{token}"


def share_url(base: str, token: str) -> str:
    """The public page of a shared design: `PUBLIC_URL` (or the request's base) + `/s/{token}`."""
    return base.rstrip("/") + SHARE_PATH.format(token=token)
