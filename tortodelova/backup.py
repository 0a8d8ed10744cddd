"""Backup and restore of a whole instance: `python app.py backup DIR` / `python app.py restore DIR`.

A backup folder holds
- `database.dump` (PostgreSQL: `pg_dump --format=custom`, consistent by itself while the service runs) or
  `database.sqlite3` (SQLite: the online-backup API, `sqlite3.Connection.backup`, consistent while the app writes;
  never a file copy of a live database);
- `objects/<key>`: every object of the image store (S3 bucket or the local images folder): designs, previews,
  reference photos;
- `manifest.json`: kinds, Alembic revision, row counts and the SHA-256 of every object (restore checks them).

The database is dumped first, then the objects: an object written in between has no row and is harmless; a row
whose object was deleted in between restores without that image (a deleted design). Restore goes into a *fresh*
instance only (empty database, empty store) and refuses otherwise; it applies newer migrations afterwards.
Passwords never appear on a command line: pg_dump/pg_restore get them through PGPASSWORD.
"""
from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from tortodelova.config import Settings
from tortodelova.db import make_engine, migrate
from tortodelova.storage import make_store

FORMAT = 1
COUNTED = ("users", "transactions", "generations", "share_links", "uploads")


class BackupError(Exception):
    """Said to the operator as it is (Russian), exit status 2."""


@dataclass
class Report:
    database: str
    storage: str
    objects: int
    bytes: int
    rows: dict[str, int]
    seconds: float


# ---------------------------------------------------------------- helpers
def _libpq(url: str) -> tuple[str, dict]:
    """A libpq URL without the password, and the environment carrying it (never in argv, so never in `ps`)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"Не найдена программа {name}: установите клиент PostgreSQL (apt-get install "
                          "postgresql-client) той же или более новой версии, что и сервер")
    return found


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} завершился с ошибкой {done.returncode}: {done.stderr.strip()[-2000:]}")


def _sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.sqlalchemy_url).database).resolve()


def _kind(settings: Settings) -> str:
    return "sqlite" if settings.sqlalchemy_url.startswith("sqlite") else "postgresql"


def _store_keys(store) -> list[str]:
    if hasattr(store, "client") and hasattr(store, "bucket"):  # S3
        store.ensure_bucket()
        return sorted(obj.object_name for obj in store.client.list_objects(store.bucket, recursive=True)
                      if not obj.is_dir)
    root = Path(store.root)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*")
                  if path.is_file() and not path.name.startswith(".tmp-"))


def _rows(engine) -> dict[str, int]:
    names = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {name: conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()  # noqa: S608 - fixed names
                for name in COUNTED if name in names}


def _revision(engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:  # noqa: BLE001 - a database without migrations
            return None


# ---------------------------------------------------------------- backup
def backup(settings: Settings, folder: Path) -> Report:
    started = time.monotonic()
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"Папка {folder} не пуста: резервная копия пишется в новую или пустую папку")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        kind = _kind(settings)
        if kind == "postgresql":
            url, env = _libpq(settings.sqlalchemy_url)
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={folder / 'database.dump'}",
                  f"--dbname={url}"], env)
        else:
            source = sqlite3.connect(_sqlite_path(settings))
            target = sqlite3.connect(folder / "database.sqlite3")
            try:
                with target:
                    source.backup(target)  # the online-backup API: a consistent copy while the app writes
            finally:
                target.close()
                source.close()
        rows, revision = _rows(engine), _revision(engine)
    finally:
        engine.dispose()

    store = make_store(settings)
    objects, total = {}, 0
    for key in _store_keys(store):
        try:
            data = store.get(key)
        except Exception:  # noqa: BLE001 - deleted since listed: nothing to keep
            continue
        path = folder / "objects" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        objects[key] = hashlib.sha256(data).hexdigest()
        total += len(data)
    manifest = {"format": FORMAT, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "database": kind, "storage": "s3" if settings.uses_s3 else "local", "alembic_revision": revision,
                "rows": rows, "objects": objects}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return Report(database=kind, storage=manifest["storage"], objects=len(objects), bytes=total, rows=rows,
                  seconds=time.monotonic() - started)


# ---------------------------------------------------------------- restore
def _read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"В папке {folder} нет резервной копии (manifest.json не найден или повреждён)") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Неизвестный формат резервной копии: {manifest.get('format')}")
    return manifest


def restore(settings: Settings, folder: Path) -> Report:
    started = time.monotonic()
    folder = Path(folder)
    manifest = _read_manifest(folder)
    kind = _kind(settings)
    if manifest["database"] != kind:
        raise BackupError(f"Копия сделана с базы {manifest['database']}, а настроена {kind}: восстановление "
                          "возможно только в базу того же вида")
    # Check every object before touching anything: a damaged copy is refused whole.
    for key, digest in manifest["objects"].items():
        path = folder / "objects" / key
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise BackupError(f"Объект {key} в копии отсутствует или повреждён: восстановление отменено")
    store = make_store(settings)
    if _store_keys(store):
        raise BackupError("Хранилище изображений не пусто: восстановление выполняется только в новый экземпляр")

    if kind == "postgresql":
        engine = make_engine(settings.sqlalchemy_url)
        try:
            if inspect(engine).get_table_names():
                raise BackupError("База данных не пуста: восстановление выполняется только в новую базу")
        finally:
            engine.dispose()
        url, env = _libpq(settings.sqlalchemy_url)
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--dbname={url}", str(folder / "database.dump")], env)
    else:
        target_path = _sqlite_path(settings)
        if target_path.exists() and target_path.stat().st_size > 0:
            raise BackupError(f"Файл базы {target_path} уже существует: восстановление выполняется только в новый "
                              "экземпляр")
        settings.ensure_data_dir()
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{folder / 'database.sqlite3'}?mode=ro", uri=True)
        target = sqlite3.connect(target_path)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        target_path.chmod(0o600)

    total = 0
    for key in manifest["objects"]:
        data = (folder / "objects" / key).read_bytes()
        store.put(key, data, content_type=mimetypes.guess_type(key)[0] or "application/octet-stream")
        total += len(data)

    engine = make_engine(settings.sqlalchemy_url)
    try:
        migrate(engine)  # a copy from an older release gets the newer migrations
        rows = _rows(engine)
    finally:
        engine.dispose()
    for name, count in manifest["rows"].items():
        if rows.get(name) != count:
            raise BackupError(f"После восстановления в таблице {name} {rows.get(name)} строк, а в копии {count}")
    return Report(database=kind, storage="s3" if settings.uses_s3 else "local", objects=len(manifest["objects"]),
                  bytes=total, rows=rows, seconds=time.monotonic() - started)
