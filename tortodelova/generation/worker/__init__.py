"""The worker side of a generation, one module per responsibility:

- `context`: what a worker process holds (sessions, store, the `Models` loaded once, explicitly);
- `claim`: the atomic claim, batch partners and the heartbeat;
- `progress`: the step callback (progress, previews, cancel flags);
- `orchestrate`: one run from claim to final state, with the single post-processing hook before storing
  (`postprocess`);
- `storing`: images into the store and the final state of each job;
- `sweeper`: periodic repair of stale and lost jobs.
Runs in Huey consumer processes (or the in-process consumer of `python app.py`); receives ids only.
"""
from __future__ import annotations

from tortodelova.generation.translation import Translation, TranslationInput, translate_one
from tortodelova.generation.worker.context import Models, WorkerContext
from tortodelova.generation.worker.orchestrate import run
from tortodelova.generation.worker.sweeper import sweep

__all__ = ["Models", "WorkerContext", "run", "sweep", "translate_preview"]


def translate_preview(ctx: WorkerContext, item: TranslationInput) -> Translation:
    """The free preview, on the worker's translator, through the job's own translation path."""
    return translate_one(ctx.models.translator, item)
