"""Finding 4: the free demo stays one per visitor — the record outlives the design, and one person (one IPv4
address, one IPv6 /64) cannot use up the daily cap. On SQLite and PostgreSQL."""
from __future__ import annotations

from fastapi.testclient import TestClient

from tortodelova.demo.models import DemoGuest, DemoQuota
from tortodelova.generation.models import Generation


def test_deleting_the_claimed_design_does_not_free_another_demo(client, register, services):
    first = client.post("/api/demo/generations", json={"prompt": "торт с клубникой"})
    assert first.status_code == 202, first.text
    guest_cookies = dict(client.cookies)
    _user, headers = register()
    client.cookies.update(guest_cookies)
    claimed = client.post("/api/demo/claim", json={"claim_token": first.json()["claim_token"]}, headers=headers)
    assert claimed.status_code == 200, claimed.text
    assert client.delete(f"/api/generations/{first.json()['id']}", headers=headers).status_code == 204
    with services.session() as session:  # however the design goes (a hard delete, an account deleted), it goes
        generation = session.get(Generation, first.json()["id"])
        if generation is not None:
            session.delete(generation)
            session.commit()
    again = client.post("/api/demo/generations", json={"prompt": "ещё один бесплатный торт"})
    assert again.status_code == 429, again.text
    client.cookies.clear()
    assert client.post("/api/demo/generations", json={"prompt": "без cookie"}).status_code == 429
    with services.session() as session:
        assert session.query(DemoGuest).count() == 1
        assert client.get(f"/api/demo/generations/{first.json()['id']}").status_code == 404


def test_one_ipv6_network_gets_one_demo_and_cannot_drain_the_cap(services):
    from tortodelova.server import create_app

    app = create_app(services=services, ui=False)
    codes = []
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:2:aaaa::7", "::ffff:198.51.100.7"):
        with TestClient(app, client=(host, 40000)) as visitor:  # each a fresh browser, no cookie
            codes.append(visitor.post("/api/demo/generations", json={"prompt": "торт"}).status_code)
    with TestClient(app, client=("198.51.100.7", 40000)) as visitor:  # the same IPv4 as the mapped address above
        codes.append(visitor.post("/api/demo/generations", json={"prompt": "торт"}).status_code)
    with TestClient(app, client=("2001:db8:1:3::1", 40000)) as visitor:  # another /64: another household
        codes.append(visitor.post("/api/demo/generations", json={"prompt": "торт"}).status_code)
    assert codes == [202, 429, 429, 202, 429, 202], codes
    with services.session() as session:
        assert sum(q.used for q in session.query(DemoQuota)) == 3


def test_client_key_normalises_addresses():
    import pytest

    from tortodelova.demo.service import client_key
    from tortodelova.errors import InvalidInput

    assert client_key("2001:db8::1") == client_key("2001:db8::2") == "2001:db8::/64"
    assert client_key("::ffff:10.0.0.1") == client_key("10.0.0.1") == "10.0.0.1"
    for bad in ("x" * 65, "", None, "a\nb"):
        with pytest.raises(InvalidInput):
            client_key(bad)
