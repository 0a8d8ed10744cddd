"""Where a generation's images can be fetched: a protocol each edge implements (the service knows no URL).

REST answers with `/api/generations/{id}/images/{n}`, the demo with links carrying the claim token, the UI with
short-lived signed links an `<img>` loads without an Authorization header; see `tortodelova.generation.image_links`.
"""
from __future__ import annotations

from typing import Protocol

from tortodelova.generation.models import Generation


class Links(Protocol):
    def image(self, generation: Generation, index: int) -> str:
        """The picture as shown (lettered when lettering was drawn)."""

    def download(self, generation: Generation, index: int) -> str:
        """The same picture as an attachment."""

    def plain(self, generation: Generation, index: int) -> str:
        """The picture without the lettering (asked for only when lettering was drawn)."""

    def signed(self, generation: Generation, index: int) -> str | None:
        """A short-lived link needing no credentials, or None where this edge has none."""
