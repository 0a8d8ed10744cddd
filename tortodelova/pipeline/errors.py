"""Errors of the image pipeline.

Every error carries a Russian ``message_ru`` for the pastry chef and the data that explains it, so the edges
(REST view, Gradio handler, worker) translate them without parsing strings.
"""


class PipelineError(Exception):
    """Base class: ``message_ru`` is shown to the user as is."""

    def __init__(self, message_ru: str):
        super().__init__(message_ru)
        self.message_ru = message_ru

    def __reduce__(self):
        # Pipeline errors cross the job queue as values (pickled by Huey); subclasses take keyword-only data, so
        # they are rebuilt from the message and the data they carry instead of calling their constructor again.
        return _rebuild, (type(self), self.message_ru, dict(self.__dict__))


def _rebuild(cls, message_ru: str, state: dict) -> "PipelineError":
    error = cls.__new__(cls)
    PipelineError.__init__(error, message_ru)
    error.__dict__.update(state)
    return error


class EmptyPrompt(PipelineError):
    def __init__(self):
        super().__init__("Опишите торт: текст описания пустой.")


class PromptTooLong(PipelineError):
    def __init__(self, *, limit: int, length: int):
        self.limit = limit
        self.length = length
        super().__init__(
            f"Описание слишком длинное: {length} символов, можно не больше {limit}. "
            "Сократите текст — мы не обрезаем его сами, чтобы не потерять важные детали."
        )


class UnknownStyle(PipelineError):
    def __init__(self, *, style: str, valid: list[str]):
        self.style = style
        self.valid = valid
        super().__init__(f"Неизвестный стиль «{style}». Доступные стили: {', '.join(valid)}.")


class ModelsMissing(PipelineError):
    def __init__(self, *, missing: list[str]):
        self.missing = missing
        super().__init__(
            "Не найдены файлы моделей: "
            + ", ".join(missing)
            + ". Скачайте их командой `python download_models.py`."
        )


class GenerationCancelled(PipelineError):
    def __init__(self, message_ru: str = "Генерация отменена."):
        super().__init__(message_ru)


class BadOutput(PipelineError):
    def __init__(self, message_ru: str = "Модель вернула пустое (чёрное) изображение. Попробуйте другой seed."):
        super().__init__(message_ru)

