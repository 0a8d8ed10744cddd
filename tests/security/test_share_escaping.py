"""The public share page, server side: no markup from a design's description or inscription reaches the HTML as
markup (the browser-side XSS corpus is in tests/ui). SQLite and PostgreSQL."""
from __future__ import annotations

from tortodelova.generation.models import Generation

CORPUS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg/onload=alert(1)>",
          '</title><iframe src=javascript:alert(1)>', '<a href="javascript:alert(1)">x</a>']


def test_share_page_escapes_every_user_value(client, register, services):
    _user, headers = register()
    client.post("/api/me/deposit", json={"amount": 1000}, headers=headers)
    for payload in CORPUS:
        body = {"prompt": f"торт {payload}", "inscription": {"text": f"С днём {payload[:20]}"}}
        r = client.post("/api/generations", json=body, headers=headers)
        if r.status_code == 422:  # the inscription refused these characters: the prompt alone still goes
            r = client.post("/api/generations", json={"prompt": f"торт {payload}"}, headers=headers)
        assert r.status_code == 202, r.text
        with services.session() as session:
            generation = session.get(Generation, r.json()["id"])
            generation.status, generation.image_keys, generation.progress = "succeeded", ["x/0.png"], 1.0
            session.commit()
        shared = client.post(f"/api/generations/{r.json()['id']}/share", headers=headers)
        assert shared.status_code == 200, shared.text
        token = shared.json()["token"] if "token" in shared.json() else shared.json()["url"].rsplit("/", 1)[-1]
        page = client.get(f"/s/{token}")
        assert page.status_code == 200, page.text
        html = page.text
        for dangerous in ("<script>alert", "<img src=x", "<svg/onload", "<iframe", 'href="javascript:'):
            assert dangerous not in html, (payload, dangerous)
        assert "&lt;" in html
