"""What the web side needs from the job queue. `jobs/` implements it with Huey; the service only sees this."""
from __future__ import annotations

from typing import Protocol

from tortodelova.generation.translation import Translation, TranslationInput


class JobQueue(Protocol):
    def enqueue_generation(self, generation_id: str) -> None: ...

    def translate(self, item: TranslationInput, *, timeout: float) -> Translation:
        """Computed by a worker (the web process never loads models). Raises the worker's `PipelineError` as is."""

    def pending_generation_ids(self) -> set[str]: ...

    def depth(self) -> int: ...

    def health(self) -> str: ...
