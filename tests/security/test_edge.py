"""Findings 5, 10, 11: body limits, security headers, Gradio's monitoring page, the access log, data files."""
from __future__ import annotations

import logging
import os
import stat

import pytest


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path):  # nothing here depends on the database
    return f"sqlite:///{tmp_path / 'test.db'}"


def test_json_body_over_one_mib_is_413_before_it_is_read(client, register):
    _user, headers = register()
    big = b'{"prompt": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    r = client.post("/api/generations", content=big, headers={**headers, "content-type": "application/json"})
    assert r.status_code == 413 and "КиБ" in r.json()["detail"]

    def stream():  # no Content-Length: refused once the streamed body passes the limit
        for _ in range(20):
            yield b"a" * 100_000

    r = client.post("/api/auth/login", content=stream(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_security_headers_on_api_and_share_pages(client):
    for path in ("/api/health", "/api/pricing", "/s/unknown-token", "/api/nope"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"], path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-frame-options"] == "DENY", path
    assert "default-src 'none'" in client.get("/api/health").headers["content-security-policy"]


def test_ui_page_headers_and_closed_monitoring(services):
    from fastapi.testclient import TestClient

    from tortodelova.server import create_app

    with TestClient(create_app(services=services)) as ui_client:
        page = ui_client.get("/")
        assert page.status_code == 200
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
        for path in ("/monitoring", "/monitoring/summary", "/monitoring/some-key", "/gradio_api/monitoring"):
            assert ui_client.get(path).status_code == 404, path


def test_uploads_need_a_session_and_are_limited_per_client(make_settings):
    """Finding 10: /gradio_api/upload took files from anyone, without a count limit."""
    from fastapi.testclient import TestClient

    from tortodelova.server import build_services, create_app

    services = build_services(make_settings(upload_client_limit="5 per 10 minutes", max_upload_bytes=1000))
    with TestClient(create_app(services=services)) as ui_client:
        files = {"files": ("a.png", b"x" * 10, "image/png")}
        anonymous = ui_client.post("/gradio_api/upload", files=files)
        assert anonymous.status_code == 401 and "вошедшие" in anonymous.json()["detail"]
        assert ui_client.post("/api/auth/register", json={"email": "u@example.com", "password": "password-1"}
                              ).status_code == 201
        token = ui_client.post("/api/auth/login", json={"email": "u@example.com", "password": "password-1"}
                               ).json()["access_token"]
        ui_client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
        codes = [ui_client.post("/gradio_api/upload", files=files, headers=headers).status_code for _ in range(3)]
        big = {"files": ("b.png", b"x" * 200_000, "image/png")}
        codes.append(ui_client.post("/gradio_api/upload", files=big, headers=headers).status_code)
        codes.append(ui_client.post("/gradio_api/upload", files=files, headers=headers).status_code)
        assert codes == [200, 200, 200, 413, 429], codes
    services.engine.dispose()


def test_old_gradio_cache_files_are_removed(tmp_path):
    from tortodelova.server.app import remove_old_files

    old, new = tmp_path / "h1" / "old.png", tmp_path / "h2" / "new.png"
    for path in (old, new):
        path.parent.mkdir()
        path.write_bytes(b"x")
    os.utime(old, (0, 0))
    assert remove_old_files(tmp_path, max_age=3600) == 1
    assert not old.exists() and not old.parent.exists() and new.exists()


def test_claim_tokens_and_signatures_stay_out_of_the_access_log():
    from tortodelova.server.access_log import RedactSecrets

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/api/demo/generations/abc?claim_token=SECRET1&x=1", "1.1",
                                200), None)
    RedactSecrets().filter(record)
    assert "SECRET1" not in record.getMessage() and "x=1" in record.getMessage()
    record.args = ("127.0.0.1:5", "GET", "/api/images/g/0.png?expires=1&sig=SECRET2", "1.1", 200)
    RedactSecrets().filter(record)
    assert "SECRET2" not in record.getMessage()


def test_access_log_filter_is_installed_by_the_app(client):
    from tortodelova.server.access_log import RedactSecrets

    assert any(isinstance(f, RedactSecrets) for f in logging.getLogger("uvicorn.access").filters)


def test_data_files_are_private_and_the_secret_is_0600_from_the_first_byte(make_settings, monkeypatch, tmp_path):
    from pathlib import Path

    from tortodelova.server import build_services

    old_umask = os.umask(0o022)
    chmods = []
    try:
        settings = make_settings(jwt_secret=None, data_dir=tmp_path / "fresh")
        # Never rely on a chmod after the write: the secret must be created 0600.
        real_chmod = Path.chmod
        monkeypatch.setattr(Path, "chmod", lambda self, mode, **kw: chmods.append(self.name))
        settings.resolved_jwt_secret()
        assert stat.S_IMODE((settings.data_dir / "jwt_secret").stat().st_mode) == 0o600
        monkeypatch.setattr(Path, "chmod", real_chmod)
        services = build_services(settings)
        services.engine.dispose()
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    for name in ("tortodelova.db", "jwt_secret"):
        assert stat.S_IMODE((settings.data_dir / name).stat().st_mode) == 0o600, name


def test_production_requires_public_url():
    from pydantic import ValidationError

    from tortodelova.config import Settings

    with pytest.raises(ValidationError, match="PUBLIC_URL"):
        Settings(env="production", jwt_secret="x" * 32)
    with pytest.raises(ValidationError, match="PUBLIC_URL"):
        Settings(env="production", jwt_secret="x" * 32, public_url="torty.example.ru")
    assert Settings(env="production", jwt_secret="x" * 32, public_url="https://torty.example.ru").is_production


def test_self_topup_can_be_turned_off(make_settings, database_url):
    from fastapi.testclient import TestClient

    from tortodelova.accounts import service as accounts
    from tortodelova.billing import service as billing
    from tortodelova.errors import SelfTopupDisabled
    from tortodelova.server import build_services, create_app

    services = build_services(make_settings(database_url=database_url, self_topup=False))
    with TestClient(create_app(services=services, ui=False)) as client:
        assert client.post("/api/auth/register", json={"email": "c@example.com", "password": "password-1"}
                           ).status_code == 201
        token = client.post("/api/auth/login", json={"email": "c@example.com", "password": "password-1"}
                            ).json()["access_token"]
        r = client.post("/api/me/deposit", json={"amount": 100}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403 and "администратор" in r.json()["detail"]
    with services.session() as session:  # the Gradio handler's path: the same service, the same answer
        user = accounts.get_by_email(session=session, email="c@example.com")
        with pytest.raises(SelfTopupDisabled):
            billing.deposit(session=session, user=user, amount=100)
        assert billing.balance_of(session=session, user_id=user.id) == services.settings.welcome_credits
    services.engine.dispose()


def test_health_logs_the_swallowed_database_error(services, caplog):
    from sqlalchemy import create_engine

    from tortodelova.server.health import check

    services.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                                    connect_args={"connect_timeout": 1})
    with caplog.at_level(logging.WARNING, logger="tortodelova.server.health"):
        status, body = check(services)
    assert status == 503 and body["database"] == "unavailable"
    assert any(record.exc_info for record in caplog.records if record.name == "tortodelova.server.health")
