"""A hostile chef profile, title, note, comment and name, server side (SQLite and PostgreSQL): the customer's page
parses to exactly the markup the app wrote (no script, no handler attribute, no foreign element), the Open Graph
tags carry the values as text, and the agreed card prints them literally (pdftotext). The same values in a real
browser, on both pages, are in test_browser.py."""
from __future__ import annotations

from html.parser import HTMLParser

from tests.cards.test_card import pdf_text

SAME_SITE = {"Origin": "http://testserver"}
PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg/onload=alert(1)>",
            '</title><iframe src=javascript:alert(1)>', '<a href="javascript:alert(1)">x</a>',
            '"/><meta http-equiv="refresh" content="0;url=https://evil.example">']
# Everything the page itself writes; anything else would have come from a value.
OWN_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "header", "p", "b", "span", "h1", "form",
            "nav", "a", "div", "figure", "img", "figcaption", "br", "button", "fieldset", "label", "textarea",
            "input", "footer", "section"}


class Markup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.handlers, self.links, self.meta = [], [], [], {}

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        self.handlers += [name for name in attrs if name.startswith("on")]
        for name in ("href", "src", "action"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            self.meta[attrs.get("property") or attrs.get("name")] = attrs.get("content")
        if tag == "meta" and "http-equiv" in attrs:
            self.handlers.append("http-equiv")


def parse(html: str) -> Markup:
    markup = Markup()
    markup.feed(html)
    return markup


def check_page(html: str) -> Markup:
    markup = parse(html)
    assert set(markup.tags) <= OWN_TAGS, set(markup.tags) - OWN_TAGS
    assert markup.tags.count("title") == 1 and "script" not in markup.tags and "iframe" not in markup.tags
    assert not markup.handlers, markup.handlers
    assert not [link for link in markup.links if "javascript:" in link or "evil" in link], markup.links
    return markup


def test_hostile_values_stay_text_on_the_page_in_og_tags_and_in_the_card(client, register, design_factory):
    user, headers = register()
    payload = " ".join(PAYLOADS)
    r = client.patch("/api/me/profile", headers=headers,
                     json={"display_name": PAYLOADS[1][:80], "contact": PAYLOADS[2]})
    assert r.status_code == 200, r.text
    design = design_factory(user["id"], inscription="С днём <b>рождения</b>")
    for title in PAYLOADS:
        r = client.post("/api/selections", headers=headers,
                        json={"title": title, "note": payload[:1000], "generation_ids": [design]})
        assert r.status_code == 201, r.text
        token = r.json()["token"]
        page = client.get(f"/c/{token}")
        markup = check_page(page.text)
        assert markup.meta["og:title"] == title  # escaped in the attribute, the same text once parsed
        assert markup.meta["og:description"] == payload[:300]
        assert markup.meta["og:image"].startswith(f"http://testserver/c/{token}/images/{design}/0.png")
        assert markup.meta["robots"].startswith("noindex")

    # The customer's own hostile answer: the page again, still clean; the name never shown back.
    for comment in PAYLOADS:
        r = client.post(f"/c/{token}/choice", headers=SAME_SITE,
                        data={"pick": f"{design}:0", "comment": comment, "name": PAYLOADS[0], "phone": PAYLOADS[3]})
        assert r.status_code == 200, r.text
        check_page(r.text)
        assert "&lt;" in r.text and PAYLOADS[0] not in r.text
    # A refused answer echoes what was typed: still escaped.
    refused = client.post(f"/c/{token}/choice", headers=SAME_SITE, data={"pick": "nope:0", "comment": PAYLOADS[3]})
    assert refused.status_code == 422
    check_page(refused.text)

    selection_id = client.get("/api/selections", headers=headers).json()["items"][0]["id"]
    assert client.post(f"/api/selections/{selection_id}/agree", headers=headers).status_code == 200
    check_page(client.get(f"/c/{token}").text)
    card = client.get(f"/c/{token}/card.pdf")
    assert card.status_code == 200 and card.headers["content-type"] == "application/pdf"
    assert card.headers["x-robots-tag"].startswith("noindex")
    text = pdf_text(card.content)
    assert "Согласовано" in text and PAYLOADS[1][:80] in text and PAYLOADS[2] in text  # literally, as text
    assert "С днём <b>рождения</b>" in text


def test_the_card_only_once_agreed(client, register, design_factory):
    user, headers = register()
    design = design_factory(user["id"])
    token = client.post("/api/selections", headers=headers,
                        json={"title": "Т", "generation_ids": [design]}).json()["token"]
    assert client.get(f"/c/{token}/card.pdf").status_code == 404
    client.post(f"/c/{token}/choice", headers=SAME_SITE, json={"generation_id": design})
    assert client.get(f"/c/{token}/card.pdf").status_code == 404
