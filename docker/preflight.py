"""Refuse to start the stack with placeholder or unusable secrets.

Runs as the `preflight` one-shot before PostgreSQL, Redis and MinIO start, because those initialise their volumes
with whatever password they get first: a stack started once with CHANGE_ME keeps it after .env is fixed.

    python docker/preflight.py        # reads os.environ; exit 1 with one line per problem
"""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

PLACEHOLDER = "CHANGE_ME"
MIN_SECRET_CHARS = 16
MIN_JWT_SECRET_BYTES = 32  # tortodelova.config refuses less in production
SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "MINIO_ROOT_PASSWORD", "S3_SECRET_KEY", "JWT_SECRET")
# Put verbatim into DATABASE_URL / REDIS_URL by docker-compose.yml, so they must not need URL escaping.
IN_URLS = ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "REDIS_PASSWORD")
URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
HINT = "сгенерируйте: openssl rand -hex 32"


def find_problems(env: Mapping[str, str]) -> list[str]:
    problems = []
    for name in SECRETS:
        value = env.get(name, "")
        if not value:
            problems.append(f"{name} не задан ({HINT})")
        elif PLACEHOLDER.lower() in value.lower():
            problems.append(f"{name} всё ещё содержит {PLACEHOLDER} из .env.example ({HINT})")
        elif len(value) < MIN_SECRET_CHARS:
            problems.append(f"{name} слишком короткий: {len(value)} символов, нужно не меньше {MIN_SECRET_CHARS}")
    jwt_bytes = len(env.get("JWT_SECRET", "").encode())
    if 0 < jwt_bytes < MIN_JWT_SECRET_BYTES:
        problems.append(f"JWT_SECRET: {jwt_bytes} байт, в production нужно не меньше {MIN_JWT_SECRET_BYTES}")
    for name in IN_URLS:
        value = env.get(name, "")
        if value and not URL_SAFE.fullmatch(value):
            problems.append(f"{name} попадает в URL подключения: допустимы только латиница, цифры и . _ ~ - ({HINT})")
    access_key = env.get("S3_ACCESS_KEY", "")
    if len(access_key) < 3:
        problems.append(f"S3_ACCESS_KEY {access_key!r}: MinIO требует не меньше 3 символов")
    elif access_key == env.get("MINIO_ROOT_USER"):
        problems.append("S3_ACCESS_KEY совпадает с MINIO_ROOT_USER: приложению нужен отдельный ключ без прав администратора")
    bucket = env.get("S3_BUCKET", "")
    if not BUCKET_NAME.fullmatch(bucket):
        problems.append(f"S3_BUCKET {bucket!r}: имя бакета — 3–63 символа a-z, 0-9, точка, дефис")
    public = env.get("S3_PUBLIC_ENDPOINT", "")
    if "://" in public or "/" in public:
        problems.append(f"S3_PUBLIC_ENDPOINT {public!r}: нужен только хост[:порт], без схемы и пути")
    public_url = env.get("PUBLIC_URL", "")
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", public_url):
        problems.append(f"PUBLIC_URL {public_url!r}: нужен адрес сайта, например https://torty.example.ru")
    admin_email, admin_password = env.get("TORTODELOVA_ADMIN_EMAIL", ""), env.get("TORTODELOVA_ADMIN_PASSWORD", "")
    if bool(admin_email) != bool(admin_password):
        problems.append("TORTODELOVA_ADMIN_EMAIL и TORTODELOVA_ADMIN_PASSWORD задаются вместе (или оба пустые)")
    elif PLACEHOLDER.lower() in admin_password.lower():
        problems.append(f"TORTODELOVA_ADMIN_PASSWORD всё ещё содержит {PLACEHOLDER}")
    return problems


def main(env: Mapping[str, str]) -> int:
    problems = find_problems(env)
    for problem in problems:
        print(f"preflight: {problem}", file=sys.stderr)
    if problems:
        print("preflight: исправьте docker/.env и повторите `docker compose up -d`", file=sys.stderr)
        return 1
    print("preflight: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(os.environ))
