"""What a worker process holds for its lifetime: DB sessions, the image store and the models.

`Models` loads the translator and the generator once per process, explicitly (`load()` at worker start) or on
first use; a load failure is raised to the caller, never swallowed. Components can be injected (tests pass a store
or a generator that fails on purpose).
"""
from __future__ import annotations

import os
import socket
import threading

from sqlalchemy.orm import Session, sessionmaker

from tortodelova.config import Settings
from tortodelova.db import make_engine, make_sessionmaker
from tortodelova.observability import metrics
from tortodelova.pipeline.errors import ModelsMissing
from tortodelova.storage import ImageStore, make_store


class Models:
    def __init__(self, settings: Settings, *, translator=None, generator=None):
        self.settings = settings
        self._translator = translator
        self._generator = generator
        self._lock = threading.Lock()

    def _check_files(self) -> None:
        from tortodelova.pipeline.models import check_models

        status = check_models(self.settings.models_dir)
        if not status.ok:
            raise ModelsMissing(missing=status.missing)

    @property
    def translator(self):
        with self._lock:
            if self._translator is None:
                self._check_files()
                from tortodelova.pipeline.models import TRANSLATOR_DIR
                from tortodelova.pipeline.translator import Translator

                with metrics.timed_load("translator"):
                    self._translator = Translator.from_pretrained(self.settings.models_dir / TRANSLATOR_DIR)
                    # The glossary's morphology dictionaries and matcher load here, not on the first chef's prompt.
                    from tortodelova.pipeline import glossary

                    glossary.warm_up()
            return self._translator

    @property
    def generator(self):
        with self._lock:
            if self._generator is None:
                self._check_files()
                from tortodelova.pipeline.generator import CakeGenerator

                # Settings (including a .env file or a test's Settings object) choose the backend, not only env vars.
                with metrics.timed_load("generator"):
                    self._generator = CakeGenerator.from_pretrained(
                        self.settings.models_dir, backend=self.settings.generation_backend,
                        int8=self.settings.openvino_int8)
            return self._generator

    @property
    def loaded(self) -> bool:
        return self._translator is not None and self._generator is not None

    def inject(self, *, translator=None, generator=None) -> None:
        """Replace a component (tests wrap the real one to fail at a chosen step)."""
        with self._lock:
            self._translator = translator or self._translator
            self._generator = generator or self._generator

    def load(self) -> None:
        """Load both models now; raises what went wrong (missing files, a broken checkpoint)."""
        _ = self.translator, self.generator


class WorkerContext:
    def __init__(self, settings: Settings, *, session_factory: sessionmaker[Session] | None = None,
                 store: ImageStore | None = None, translator=None, generator=None, name: str | None = None):
        self.settings = settings
        self.session_factory = session_factory or make_sessionmaker(make_engine(settings.sqlalchemy_url))
        self.store = store or make_store(settings)
        self.models = Models(settings, translator=translator, generator=generator)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"

    @property
    def translator(self):
        return self.models.translator

    @property
    def generator(self):
        return self.models.generator

    def load(self) -> None:
        self.models.load()
