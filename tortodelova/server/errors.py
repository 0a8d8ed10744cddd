"""The one place where domain errors, bad input and infrastructure failures become HTTP answers, every one of them
`{"detail": "<Russian message>"}`; `install` also makes the published OpenAPI schema say so."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tortodelova.errors import DomainError

logger = logging.getLogger(__name__)
DB_DOWN = "База данных недоступна, попробуйте позже"
OVERLOADED = "Сервис перегружен, попробуйте через несколько секунд"
BAD_NUMBER = "Ошибка в запросе: число или значение вне допустимого диапазона"
CHANGED_MEANWHILE = ("Данные изменились во время запроса (например, аккаунт или дизайн только что удалены): "
                     "обновите страницу и попробуйте снова")
# What Starlette and FastAPI answer on their own (unknown path, wrong method, unreadable body), said in Russian.
HTTP_STATUS_RU = {
    400: "Некорректный запрос: не удалось разобрать тело запроса",
    401: "Требуется вход: войдите в аккаунт",
    403: "Недостаточно прав",
    404: "Не найдено",
    405: "Этот метод не поддерживается для этого адреса",
    406: "Запрошенный формат ответа не поддерживается",
    413: "Тело запроса слишком большое",
    415: "Неподдерживаемый тип содержимого",
    422: "Ошибка в запросе",
    429: "Слишком много запросов",
}


def _field(loc) -> str:
    return ".".join(str(part) for part in loc if part not in ("body", "query", "path"))


def validation_message(exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = _field(error.get("loc", ()))
        cause = (error.get("ctx") or {}).get("error")
        if error.get("type") == "value_error" and cause is not None:
            problems.append(str(cause))  # our validators' own Russian message, with the bad value quoted
        elif error.get("type") == "json_invalid":
            problems.append("тело запроса — некорректный JSON")
        elif error.get("type") == "missing":
            problems.append(f"не заполнено поле {where}")
        else:
            problems.append(f"некорректное значение поля {where}" if where else "некорректный запрос")
    return "Ошибка в запросе: " + "; ".join(dict.fromkeys(problems))


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError):
        headers = {}
        if getattr(exc, "retry_after", None):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError):
        return JSONResponse({"detail": validation_message(exc)}, status_code=422)

    @app.exception_handler(OperationalError)
    async def database_down(_request: Request, exc: OperationalError):
        logger.warning("database unavailable: %s", exc.orig)
        return JSONResponse({"detail": DB_DOWN}, status_code=503)

    @app.exception_handler(PoolTimeout)
    async def database_pool_exhausted(_request: Request, exc: PoolTimeout):
        # Every pooled connection stayed busy for pool_timeout: overload, not a bug in the request.
        logger.warning("database pool exhausted: %s", exc)
        return JSONResponse({"detail": OVERLOADED}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(IntegrityError)
    async def changed_meanwhile(_request: Request, exc: IntegrityError):
        # A row this request pointed at went away between its checks and its commit (an admin deleted the user,
        # the owner deleted the design). Services turn the races they know into typed errors; this is the rest.
        logger.warning("integrity error, answered 409: %s", exc.orig)
        return JSONResponse({"detail": CHANGED_MEANWHILE}, status_code=409)

    @app.exception_handler(StaleDataError)
    async def gone_meanwhile(_request: Request, exc: StaleDataError):
        # An UPDATE of a row that was deleted meanwhile (a password or profile change of a user an admin deleted).
        logger.warning("stale row, answered 409: %s", exc)
        return JSONResponse({"detail": CHANGED_MEANWHILE}, status_code=409)

    @app.exception_handler(StarletteHTTPException)
    async def http_exception(_request: Request, exc: StarletteHTTPException):
        if exc.status_code < 400:
            from starlette.responses import Response

            return Response(status_code=exc.status_code, headers=exc.headers)
        detail = exc.detail
        if not isinstance(detail, str) or detail.isascii():  # Starlette's and FastAPI's own English words
            detail = HTTP_STATUS_RU.get(exc.status_code, f"Ошибка запроса ({exc.status_code})")
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(DBAPIError)
    async def database_error(_request: Request, exc: DBAPIError):
        if exc.connection_invalidated:
            return JSONResponse({"detail": DB_DOWN}, status_code=503)
        logger.error("database error", exc_info=exc)
        return JSONResponse({"detail": "Внутренняя ошибка базы данных"}, status_code=500)

    install_input_errors(app)
    install_error_schema(app)


def install_input_errors(app: FastAPI) -> None:
    @app.exception_handler(OverflowError)
    async def overflow(_request: Request, _exc: OverflowError):
        # SQLite: a Python int over 64 bits reached a query (huge id, offset).
        return JSONResponse({"detail": BAD_NUMBER}, status_code=422)

    @app.exception_handler(DataError)
    async def data_error(_request: Request, exc: DataError):
        # PostgreSQL refused a value (out of range, too long, a NUL that slipped past the edge): still bad input.
        logger.warning("value refused by the database: %s", exc.orig)
        return JSONResponse({"detail": BAD_NUMBER}, status_code=422)


# ---------------------------------------------------------------- the published schema says what the app answers
ERROR_SCHEMA = {"type": "object", "title": "Error", "required": ["detail"],
                "properties": {"detail": {"type": "string", "title": "Detail",
                                          "description": "Что не так, по-русски"}}}


def install_error_schema(app: FastAPI) -> None:
    """FastAPI documents 422 as a list of pydantic errors; this app answers every error, 422 included, as
    `{"detail": "<Russian message>"}` (this module). The OpenAPI document says so, so clients and the
    schema fuzzing see the truth."""
    from fastapi.openapi.utils import get_openapi

    def openapi():
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                                 description=app.description)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.pop("ValidationError", None)
            components["HTTPValidationError"] = ERROR_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
