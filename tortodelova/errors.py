"""Domain errors. Services raise these; the REST layer and the Gradio handlers translate them at the edge.

Every error carries a Russian message for the person who will see it and a status for the REST edge.
"""
from __future__ import annotations

# A request authenticated a moment before an admin deleted the account: what it wanted to write cannot be kept.
ACCOUNT_GONE = "Аккаунт удалён: войдите снова или зарегистрируйтесь"


class DomainError(Exception):
    status = 400
    message = "Некорректный запрос"

    def __init__(self, message: str | None = None, **data):
        self.message = message or self.message
        self.data = data
        super().__init__(self.message)


class InvalidInput(DomainError):
    status = 422


class NotAuthenticated(DomainError):
    status = 401
    message = "Требуется вход: войдите в аккаунт"


class InvalidCredentials(NotAuthenticated):
    message = "Неверная почта или пароль"


class Forbidden(DomainError):
    status = 403
    message = "Недостаточно прав"


class NotFound(DomainError):
    status = 404
    message = "Не найдено"


class Conflict(DomainError):
    status = 409
    message = "Конфликт"


class EmailTaken(Conflict):
    message = "Пользователь с такой почтой уже зарегистрирован"


class InsufficientCredits(DomainError):
    status = 402

    def __init__(self, *, balance: int, required: int):
        super().__init__(
            f"Недостаточно кредитов: нужно {required}, на балансе {balance}. Пополните баланс.",
            balance=balance,
            required=required,
        )
        self.balance = balance
        self.required = required


class RateLimited(DomainError):
    status = 429
    message = "Слишком много запросов"

    def __init__(self, message: str | None = None, *, retry_after: int = 3600, **data):
        super().__init__(message, retry_after=retry_after, **data)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    status = 503
    message = "Сервис временно недоступен, попробуйте позже"


class PayloadTooLarge(DomainError):
    status = 413
    message = "Файл слишком большой"


class Overloaded(ServiceUnavailable):
    message = "Сервис перегружен, попробуйте через несколько секунд"

    def __init__(self, message: str | None = None, *, retry_after: int = 5, **data):
        super().__init__(message, retry_after=retry_after, **data)
        self.retry_after = retry_after


class SelfTopupDisabled(Forbidden):
    message = "Самостоятельное пополнение отключено: кредиты начисляет администратор"


class UnsupportedMediaType(DomainError):
    status = 415
    message = "Неподдерживаемый тип файла"
