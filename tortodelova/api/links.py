"""The `generation.links.Links` of each edge: REST paths, demo paths with the claim token, signed UI links."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from tortodelova.api.images import signed_image_path
from tortodelova.config import Settings
from tortodelova.generation.models import Generation


@dataclass(frozen=True)
class RestLinks:
    """`/api/generations/{id}/images/{n}` (the owner's bearer token or cookie), plus a signed link for <img>."""

    settings: Settings
    base: str = "/api/generations"

    def image(self, generation: Generation, index: int) -> str:
        return f"{self.base}/{generation.id}/images/{index}"

    def download(self, generation: Generation, index: int) -> str:
        return f"{self.base}/{generation.id}/images/{index}/download"

    def plain(self, generation: Generation, index: int) -> str:
        return f"{self.base}/{generation.id}/images/{index}/plain"

    def signed(self, generation: Generation, index: int) -> str | None:
        return signed_image_path(settings=self.settings, generation_id=generation.id, index=index)


@dataclass(frozen=True)
class DemoLinks:
    """`/api/demo/generations/{id}/images/{n}`, carrying the claim token when the guest has one."""

    settings: Settings
    claim_token: str | None = None
    base: str = "/api/demo/generations"

    def _suffix(self) -> str:
        return f"?claim_token={quote(self.claim_token, safe='')}" if self.claim_token else ""

    def image(self, generation: Generation, index: int) -> str:
        return f"{self.base}/{generation.id}/images/{index}{self._suffix()}"

    def download(self, generation: Generation, index: int) -> str:
        return f"{self.base}/{generation.id}/images/{index}/download{self._suffix()}"

    def plain(self, generation: Generation, index: int) -> str:
        return f"{self.base}/{generation.id}/images/{index}/plain{self._suffix()}"

    def signed(self, generation: Generation, index: int) -> str | None:
        return signed_image_path(settings=self.settings, generation_id=generation.id, index=index)


@dataclass(frozen=True)
class SignedLinks:
    """For the Gradio UI and the admin screens: every link is signed and short-lived (no header in <img>)."""

    settings: Settings

    def image(self, generation: Generation, index: int) -> str:
        return signed_image_path(settings=self.settings, generation_id=generation.id, index=index)

    def download(self, generation: Generation, index: int) -> str:
        return self.image(generation, index) + "&download=1"

    def plain(self, generation: Generation, index: int) -> str:
        return signed_image_path(settings=self.settings, generation_id=generation.id, index=index, variant="plain")

    def signed(self, generation: Generation, index: int) -> str | None:
        return self.image(generation, index)


SHARE_PATH = "/s/{token}"


def share_url(base: str, token: str) -> str:
    """The public page of a shared design: `PUBLIC_URL` (or the request's base) + `/s/{token}`."""
    return base.rstrip("/") + SHARE_PATH.format(token=token)
