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
