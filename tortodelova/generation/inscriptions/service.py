"""Re-lettering a finished design from its plain pictures: free of charge, nothing generated again.
(The checks at submit are in `rules`; the worker draws through `generation.worker.postprocess`.)"""
from __future__ import annotations

from sqlalchemy.orm import Session

from tortodelova.accounts.models import User
from tortodelova.errors import Conflict, NotFound
from tortodelova.generation import service as generations
from tortodelova.generation.inscriptions.rules import spec_of_request
from tortodelova.generation.models import Generation
from tortodelova.generation.public import plain_keys
from tortodelova.pipeline import lettering
from tortodelova.storage import ImageStore, plain_image_key


def reletter(*, session: Session, store: ImageStore, user: User, generation_id: str, inscription) -> Generation:
    """Draw `inscription` (an `InscriptionRequest`, or None to remove the lettering) on every picture of the design,
    from its plain copies. No charge, no generation: the ledger is not touched."""
    generation = generations.get_owned(session=session, user=user, generation_id=generation_id)
    if generation.status != "succeeded" or not generation.image_keys:
        raise Conflict("Надпись можно изменить только у готового дизайна")
    drawn = spec_of_request(inscription)
    keys = list(generation.image_keys)
    plain = plain_keys(generation)
    if len(plain) != len(keys):
        plain = []  # never lettered: the pictures shown are the plain ones
    sources = [store.get(key) for key in (plain or keys)]
    session.commit()  # no transaction held while drawing; the check below reads what is committed by then
    written = keys + (plain or [plain_image_key(key) for key in keys])
    if drawn is None:
        for key, data in zip(keys, sources):
            store.put(key, data)
        for key in plain:
            store.delete(key)
        plain = []
    else:
        if not plain:  # keep the untouched pictures first: whatever fails later, they are safe
            plain = [plain_image_key(key) for key in keys]
            for key, data in zip(plain, sources):
                store.put(key, data)
        for key, data in zip(keys, sources):
            store.put(key, lettering.letter_png(data, drawn))
    current = session.get(Generation, generation.id, populate_existing=True)
    if current is None or current.deleted_at is not None or current.user_id != user.id:
        # Deleted (or its account deleted) while the pictures were drawn: what was written here is removed too.
        session.rollback()
        for key in written:
            store.delete(key)
        raise NotFound("Дизайн не найден")
    params = {k: v for k, v in (generation.params or {}).items() if k != "plain_keys"}
    if plain:
        params["plain_keys"] = plain
    generation.params = params
    generation.inscription_explicit = True
    generation.inscription = drawn.text if drawn else None
    generation.inscription_options = ({"font": drawn.font, "color": drawn.color, "position": drawn.position}
                                      if drawn else None)
    session.commit()
    return generation
