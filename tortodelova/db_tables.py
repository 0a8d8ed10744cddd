"""Every table, imported in one place so Alembic and the tests see the whole schema."""
from tortodelova.accounts.models import AccountToken, AuditEvent, RevokedToken, User
from tortodelova.billing.models import Transaction
from tortodelova.db import Base
from tortodelova.demo.models import DemoGuest, DemoQuota
from tortodelova.generation.models import Generation, ShareLink
from tortodelova.selections.models import Selection, SelectionItem
from tortodelova.terms.models import GlossaryMiss, PersonalTerms
from tortodelova.uploads.models import Upload

__all__ = ["Base", "User", "RevokedToken", "AccountToken", "AuditEvent", "Transaction", "Generation", "ShareLink",
           "DemoGuest", "DemoQuota", "Upload", "PersonalTerms", "GlossaryMiss",
           "Selection", "SelectionItem"]
