from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class UploadPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    width: int
    height: int
    created_at: datetime
