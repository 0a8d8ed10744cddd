"""What the web side needs from the job queue. `jobs/` implements it with Huey; the service only sees this."""
from __future__ import annotations

from typing import Protocol


class JobQueue(Protocol):
    def enqueue_generation(self, generation_id: str) -> None: ...

    def translate(self, prompt: str, *, timeout: float) -> dict:
        """{"prompt_en": str, "terms": [{"ru", "en"}]} computed by a worker (the web process never loads models)."""

    def pending_generation_ids(self) -> set[str]: ...

    def depth(self) -> int: ...

    def health(self) -> str: ...
