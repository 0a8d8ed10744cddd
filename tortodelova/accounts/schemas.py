from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Credentials(BaseModel):
    email: str
    password: str


class PasswordChange(BaseModel):
    old_password: str
    new_password: str


class UserPublic(BaseModel):
    id: int
    email: str
    role: str
    balance: int
    created_at: datetime
    email_verified: bool = False  # v3: the address was confirmed by the link in its letter

    model_config = {"from_attributes": True}


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
