"""Answering with an image: a redirect to a presigned S3 link, or the bytes streamed (a download always streams)."""
from __future__ import annotations

from fastapi.responses import RedirectResponse, StreamingResponse

from tortodelova.storage import ImageStore


def image_response(*, store: ImageStore, key: str, seconds: int, download_name: str | None = None,
                   redirect: bool = True):
    if redirect and download_name is None:
        url = store.presign(key, seconds)
        if url:
            return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    size = store.size(key)
    headers = {"Content-Length": str(size), "Cache-Control": "private, max-age=300"}
    if download_name:
        headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return StreamingResponse(store.stream(key), media_type="image/png", headers=headers)


def download_name(generation_id: str, index: int) -> str:
    return f"tortodelova-{generation_id[:8]}-{index + 1}.png"
