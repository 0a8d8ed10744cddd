"""The REST routers of the baker features (issue 12): reference photos, the inscription, the customer card, the
baker's profile. Included by `tortodelova.server.create_app` under /api."""
from __future__ import annotations


def routers() -> list:
    from tortodelova.profile.views import router as profile
    from tortodelova.cards.views import router as cards
    from tortodelova.inscriptions.views import router as inscriptions
    from tortodelova.uploads.views import router as uploads

    from tortodelova.selections.views import router as selections

    return [uploads, inscriptions, cards, profile, selections]
