"""Deleting one's own account: jobs cancelled and refunded first, every object in storage removed, sessions and
share links ended, personal fields erased. The ledger stays for the books: the user row remains, anonymised
(`deleted-<id>@deleted.invalid`, no password, inactive), so every balance still equals the sum of its ledger."""
from __future__ import annotations

import logging

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tortodelova.accounts import security
from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import AccountToken, User
from tortodelova.billing.models import Transaction
from tortodelova.db import utcnow
from tortodelova.errors import Forbidden
from tortodelova.generation import service as generation_service
from tortodelova.generation.models import Generation, ShareLink
from tortodelova.selections.models import Selection
from tortodelova.storage import ImageStore
from tortodelova.terms.models import PersonalTerms
from tortodelova.uploads.models import Upload

logger = logging.getLogger(__name__)
WRONG_PASSWORD = "Неверный пароль: аккаунт не удалён"
CANCELLED = "Отменено: аккаунт удалён"
UNUSABLE_HASH = "!deleted"  # no hash scheme matches it: no password ever verifies


def delete_account(*, session: Session, store: ImageStore, user: User, password) -> None:
    session.commit()  # nothing pending while the password hash is checked
    if not isinstance(password, str) or not security.verify_password(password, user.password_hash):
        raise Forbidden(WRONG_PASSWORD)
    accounts.ensure_not_last_admin(session=session, user=user)
    user_id = user.id
    # 1. Running and queued jobs stop and are refunded now; a worker that finishes later finds the job cancelled
    #    and removes what it stored (`storing.finish_succeeded`).
    active = session.scalars(select(Generation.id).where(Generation.user_id == user_id,
                                                         Generation.status.in_(("queued", "running")))).all()
    if active:
        session.execute(update(Generation).where(Generation.id.in_(active)).values(cancel_requested=True))
        session.commit()
        for generation_id in active:
            generation_service.finish_failed(session=session, generation_id=generation_id, error=CANCELLED,
                                             status="cancelled")
    # 2. Designs: images leave storage, share links die, the rows stay (the ledger points at them) without the
    #    chef's words.
    for generation in session.scalars(select(Generation).where(Generation.user_id == user_id)).all():
        generation_service.delete_images(store=store, generation=generation)
        generation.image_keys, generation.preview_png = [], None
        generation.prompt_ru, generation.prompt_en, generation.negative_prompt = "", None, ""
        generation.negative_prompt_en, generation.inscription, generation.inscription_options = None, None, None
        generation.params = {}
        generation.deleted_at = generation.deleted_at or utcnow()
    session.execute(delete(ShareLink).where(ShareLink.generation_id.in_(
        select(Generation.id).where(Generation.user_id == user_id))))
    # Customer selections (/c/ links) die with the account; their items go by ON DELETE CASCADE, and the customer's
    # name and phone with them. «Мои термины» are hers too.
    session.execute(delete(Selection).where(Selection.user_id == user_id))
    session.execute(delete(PersonalTerms).where(PersonalTerms.user_id == user_id))
    # 3. Reference photos.
    for upload in session.scalars(select(Upload).where(Upload.user_id == user_id)).all():
        store.delete(upload.key)
        session.delete(upload)
    # 4. The ledger stays, without the prompts quoted in its descriptions.
    session.execute(update(Transaction).where(Transaction.user_id == user_id, Transaction.kind == "charge")
                    .values(description="Дизайн (аккаунт удалён)"))
    # 5. The person is gone from the row: address, password, names; every session and link ends.
    session.execute(delete(AccountToken).where(AccountToken.user_id == user_id))
    user.email = f"deleted-{user_id}@deleted.invalid"
    user.password_hash, user.display_name, user.contact = UNUSABLE_HASH, None, None
    user.is_active, user.role, user.email_verified_at, user.deleted_at = False, "user", None, utcnow()
    accounts.end_sessions(session=session, user=user)
    session.commit()
    logger.info("user %s deleted their account (%s designs cancelled first)", user_id, len(active))
