"""`python app.py` commands as an operator runs them: migrate, create-admin, and the server on a fresh machine."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers import free_port, wait_for_health

ROOT = Path(__file__).resolve().parents[1]


def run_app(args, env, **kwargs):
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], env=env, capture_output=True, text=True,
                          timeout=120, **kwargs)


def clean_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "S3_", "JWT_"))}
    env.update(DATA_DIR=str(tmp_path / "data"), MODELS_DIR=str(tmp_path / "models"), **extra)
    return env


def test_migrate_and_create_admin(tmp_path):
    env = clean_env(tmp_path)
    migrated = run_app(["migrate"], env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "Миграции применены" in migrated.stdout and (tmp_path / "data" / "tortodelova.db").exists()
    created = run_app(["create-admin", "Boss@Example.com", "--password", "admin-password-1"], env, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "boss@example.com" in created.stdout
    again = run_app(["create-admin", "boss@example.com"], env, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert again.returncode == 0 and "(id 1)" in again.stdout
    bad = run_app(["create-admin", "new@example.com", "--password", "short"], env, cwd=tmp_path)
    assert bad.returncode == 2 and "Пароль" in bad.stderr


def test_app_starts_on_a_fresh_machine_and_says_what_to_run_without_models(tmp_path):
    port = free_port()
    env = clean_env(tmp_path)
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--offline"], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_health(f"http://127.0.0.1:{port}", timeout=90, alive=lambda: proc.poll() is None)
        health = httpx.get(f"http://127.0.0.1:{port}/api/health").json()
        assert health["database"] == "ok" and "download_models.py" in health["models"]["hint"]
        assert (tmp_path / "data" / "jwt_secret").exists()
        base = f"http://127.0.0.1:{port}"
        assert httpx.post(f"{base}/api/auth/register", json={"email": "a@example.com", "password": "password-1"}
                          ).status_code == 201
        token = httpx.post(f"{base}/api/auth/login", json={"email": "a@example.com", "password": "password-1"}
                           ).json()["access_token"]
        r = httpx.post(f"{base}/api/generations", json={"prompt": "торт"},
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 503 and "download_models.py" in r.json()["detail"]
        r = httpx.post(f"{base}/api/translate", json={"prompt": "торт"}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 503 and "download_models.py" in r.json()["detail"]
        assert httpx.get(f"{base}/api/me/balance", headers={"Authorization": f"Bearer {token}"}
                         ).json()["balance"] == 30
        assert httpx.get(f"{base}/").status_code == 200
    finally:
        proc.terminate()
        try:
            output = proc.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            output = proc.communicate()[0]
    assert "python download_models.py" in output


def test_create_admin_promotes_an_existing_account_only_with_promote(tmp_path):
    """Issue 10, finding 3: an address anyone could register first became admin with its registrant's password."""
    import stat

    env = clean_env(tmp_path, JWT_SECRET="s" * 40)
    assert run_app(["migrate"], env, cwd=tmp_path).returncode == 0
    code = ("import sys; from tortodelova.config import get_settings; from tortodelova.server import build_services;"
            "from tortodelova.billing import onboarding; s = build_services(get_settings());"
            "se = s.session(); onboarding.register(session=se, settings=s.settings, email='boss@example.com',"
            " password='squatter-pass-1')")
    assert subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, timeout=120).returncode == 0
    refused = run_app(["create-admin", "boss@example.com"], env, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert refused.returncode == 2 and "--promote" in refused.stderr
    promoted = run_app(["create-admin", "boss@example.com", "--promote", "--password", "operator-pass-1"], env,
                       cwd=tmp_path)
    assert promoted.returncode == 0, promoted.stderr
    check = ("from tortodelova.config import get_settings; from tortodelova.db import *;"
             "from tortodelova.accounts import service as a; s = get_settings();"
             "se = make_sessionmaker(make_engine(s.sqlalchemy_url))(); u = a.get_by_email(session=se,"
             " email='boss@example.com'); print(u.role);"
             "a.authenticate(session=se, email='boss@example.com', password='operator-pass-1')")
    out = subprocess.run([sys.executable, "-c", check], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "admin", out.stderr
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "tortodelova.db").stat().st_mode) == 0o600
