"""Bodies and answers of the account-lifecycle routes (v3)."""
from __future__ import annotations

from pydantic import BaseModel


class ResetRequest(BaseModel):
    email: str


class ResetConfirm(BaseModel):
    token: str
    password: str


class EmailConfirm(BaseModel):
    token: str


class AccountDeletion(BaseModel):
    password: str


class Accepted(BaseModel):
    """202: the request was taken; the message says what happens next (the same for every address)."""
    detail: str


class ErrorPublic(BaseModel):
    """Every refusal: a Russian message for the person."""
    detail: str
