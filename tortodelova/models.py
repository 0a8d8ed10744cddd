"""Every table, imported in one place so Alembic and the tests see the whole schema."""
from tortodelova.accounts.models import RevokedToken, User
from tortodelova.billing.models import Transaction
from tortodelova.db import Base
from tortodelova.demo.models import DemoGuest, DemoQuota
from tortodelova.generation.models import Generation, ShareLink
from tortodelova.selections.models import Selection, SelectionItem
from tortodelova.uploads.models import Upload

__all__ = ["Base", "User", "RevokedToken", "Transaction", "Generation", "ShareLink", "DemoGuest", "DemoQuota", "Upload",
           "Selection", "SelectionItem"]
