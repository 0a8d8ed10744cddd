"""`POST /api/uploads` (multipart `file`) and `DELETE /api/uploads/{id}`.

The body is streamed through a counter: reading stops, with 413, as soon as it passes MAX_UPLOAD_BYTES plus the
form's framing, whatever the client declared (the edge guard in front usually answers first, from Content-Length).
"""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from tortodelova.accounts.deps import CurrentUser
from tortodelova.container import ServicesDep, SessionDep
from tortodelova.errors import InvalidInput, UnsupportedMediaType
from tortodelova.uploads import service
from tortodelova.uploads.schemas import UploadPublic

router = APIRouter(tags=["Uploads"])
FORM_OVERHEAD = 64 * 1024
MULTIPART_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "description": "PNG, JPEG или WebP"}}}}}}}


async def read_file_field(request: Request, *, max_bytes: int) -> bytes:
    """The bytes of the form's `file` field, never reading more than the limit allows."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedMediaType("Отправьте фото формой multipart/form-data в поле file")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_OVERHEAD:
        raise service.too_large(max_bytes)

    async def bounded():
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > max_bytes + FORM_OVERHEAD:
                raise service.too_large(max_bytes)
            yield chunk

    parser = MultiPartParser(request.headers, bounded(), max_files=1, max_fields=4, max_part_size=4096)
    try:
        form = await parser.parse()
    except MultiPartException:
        raise InvalidInput("Не удалось прочитать форму: приложите один файл в поле file") from None
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise InvalidInput("Приложите фото в поле file")
        data = await file.read(max_bytes + 1)
    finally:
        await form.close()
    if len(data) > max_bytes:
        raise service.too_large(max_bytes)
    return data


@router.post("/uploads", status_code=201, response_model=UploadPublic, openapi_extra=MULTIPART_BODY,
             responses={413: {"description": "Файл слишком большой"}, 415: {"description": "Не изображение"}})
async def create(request: Request, user: CurrentUser, services: ServicesDep, session: SessionDep):
    data = await read_file_field(request, max_bytes=services.settings.max_upload_bytes)
    # Decoding and re-encoding a photo is CPU work, and the session is a blocking one: off the event loop.
    return await run_in_threadpool(service.create, session=session, store=services.store,
                                   settings=services.settings, user=user, data=data)


@router.delete("/uploads/{upload_id}", status_code=204)
def delete(upload_id: str, user: CurrentUser, services: ServicesDep, session: SessionDep):
    service.delete(session=session, store=services.store, user=user, upload_id=upload_id)
    return Response(status_code=204)
