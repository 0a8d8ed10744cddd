"""The role check every admin action makes (REST `AdminUser`, the admin service, the Gradio admin tab)."""
from __future__ import annotations

from tortodelova.accounts.models import User
from tortodelova.errors import Forbidden


def require_admin(user: User | None) -> User:
    if user is None or not user.is_active or user.role != "admin":
        raise Forbidden("Доступно только администраторам")
    return user
