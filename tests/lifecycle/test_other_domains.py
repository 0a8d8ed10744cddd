"""An account's life reaches the domains that came with it: the customer selections (/c/ links) and «Мои термины»
go with a deleted account, and the terms are in the export. On SQLite and PostgreSQL, through REST."""
from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import func, select

from tests.selections.factories import make_design
from tortodelova.selections.models import Selection, SelectionItem
from tortodelova.terms.models import PersonalTerms

PASSWORD = "кремовый-торт-123"


def test_selections_and_terms_follow_the_account(client, services, register):
    user, headers = register(password=PASSWORD)
    designs = [make_design(services, user["id"], variants=1, prompt=f"Торт {n}") for n in range(2)]
    created = client.post("/api/selections", headers=headers,
                          json={"title": "Юбилей Ольги", "generation_ids": designs})
    assert created.status_code == 201, created.text
    link = created.json()["url"]
    path = link[link.index("/c/"):]
    assert client.get(path).status_code == 200
    terms = [{"ru": "вишнёвая поляна", "en": "chocolate cake with cherries"}]
    assert client.put("/api/me/terms", headers=headers, json={"items": terms}).status_code == 200

    exported = client.get("/api/me/export", headers=headers)
    assert exported.status_code == 200
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        assert json.loads(archive.read("my-terms.json"))["terms"] == terms

    other, other_headers = register(password=PASSWORD)
    kept = client.post("/api/selections", headers=other_headers,
                       json={"title": "Чужая", "generation_ids": [make_design(services, other["id"], variants=1)]})
    assert kept.status_code == 201

    deleted = client.request("DELETE", "/api/me", headers=headers, json={"password": PASSWORD})
    assert deleted.status_code == 204, deleted.text
    assert client.get(path).status_code == 404
    with services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Selection).where(Selection.user_id == user["id"])) == 0
        assert session.scalar(select(func.count()).select_from(SelectionItem)
                              .where(SelectionItem.generation_id.in_(designs))) == 0
        assert session.get(PersonalTerms, user["id"]) is None
        assert session.scalar(select(func.count()).select_from(Selection)
                              .where(Selection.user_id == other["id"])) == 1  # another chef's selection stays
