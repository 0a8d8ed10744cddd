"""One settings object, read from the environment (and an optional `.env`).

Tests build their own `Settings(...)` instead of patching `os.environ`.
"""
from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_PRODUCTION_SECRET_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    env: str = Field("development", validation_alias=AliasChoices("TORTODELOVA_ENV", "env"))
    data_dir: Path = Path("./data")
    models_dir: Path = Path("./models")

    # Embedded defaults: SQLite under data_dir, SqliteHuey, images on local disk.
    database_url: str | None = None
    redis_url: str | None = None
    queue_name: str = "tortodelova"

    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "tortodelova"
    s3_public_endpoint: str | None = None
    s3_secure: bool = False
    s3_public_secure: bool | None = None  # https for browser-facing presigned URLs; defaults to s3_secure
    s3_region: str = "us-east-1"
    presign_seconds: int = 300

    jwt_secret: str | None = None
    jwt_expire_minutes: int = 60 * 24 * 7

    welcome_credits: int = 30
    admin_email: str | None = Field(
        None, validation_alias=AliasChoices("TORTODELOVA_ADMIN_EMAIL", "admin_email"))
    admin_password: str | None = Field(
        None, validation_alias=AliasChoices("TORTODELOVA_ADMIN_PASSWORD", "admin_password"))
    # An account that already exists under TORTODELOVA_ADMIN_EMAIL becomes admin only when this says so: anyone
    # can register that address first (there is no e-mail verification).
    admin_promote: bool = Field(
        False, validation_alias=AliasChoices("TORTODELOVA_ADMIN_PROMOTE", "admin_promote"))
    # Free self-service top-up (the original service's "упрощённо, без эквайринга"); off: credits only from the
    # admin tab.
    self_topup: bool = True

    # Hardening: failed logins per account and per client address (`limits` syntax), password hashes at once,
    # request bodies.
    login_account_limit: str = "10 per 15 minutes"
    login_client_limit: str = "50 per 15 minutes"
    hash_concurrency: int = 2
    max_json_bytes: int = 1024 * 1024
    body_timeout_seconds: float = 30.0
    # The request line and headers must arrive within this (tortodelova/server/http_protocol.py), idle keep-alive
    # connections close after KEEP_ALIVE_SECONDS (uvicorn's timeout_keep_alive).
    header_timeout_seconds: float = 10.0
    upload_client_limit: str = "60 per 10 minutes"
    # The customer's page of a selection (/c/{token}): answers and page views per client address.
    customer_choice_limit: str = "30 per 10 minutes"
    customer_page_limit: str = "300 per 10 minutes"
    # Registrations per client address (IPv6: per /64), counted before the password is hashed.
    register_client_limit: str = "10 per hour"
    # Browser origins (comma-separated, e.g. `https://app.example.ru`) allowed to call the app with credentials
    # (CORS). None by default: the UI is same-origin, and no other site, a sibling subdomain included, gets an answer
    # it may read.
    cors_allow_origins: str = ""

    # Jobs
    heartbeat_seconds: float = 5.0
    stale_after_seconds: float = 120.0
    requeue_after_seconds: float = 60.0
    max_attempts: int = 2
    batch_max_jobs: int = 4
    # Batching across jobs pays on a GPU; on a CPU it only delays the first job (tests turn it on to cover it).
    batch_on_cpu: bool = False
    translate_timeout_seconds: float = 60.0
    # The web side refuses new jobs while the model files are missing (workers share the models volume).
    require_models: bool = True
    # Seconds to sleep in every denoising step: fault-injection tests use it to catch a job mid-run.
    step_delay_seconds: float = 0.0
    # Generation backend on CPU: auto (OpenVINO when installed, torch on GPUs), torch, openvino. The worker passes
    # these to CakeGenerator.from_pretrained; int8 (OpenVINO only: off | weights | full) trades quality for speed.
    generation_backend: str = "auto"
    openvino_int8: str = "off"

    # Demo
    demo_daily_cap: int = 200
    demo_cookie_name: str = "tortodelova_guest"

    # Gradio
    max_upload_bytes: int = 8 * 1024 * 1024
    # Reference photos (POST /api/uploads): refused from the header, before decoding, past these.
    max_upload_side: int = 6000
    # 16 Mpx covers a phone's photo (4608×3456); the pipeline itself needs at most 768 px a side. Decoding a PNG
    # takes width×height×4 bytes whatever the file's size, so this cap (checked from the header) and the number of
    # decodes at once bound the memory an upload can take: ~64 MiB × UPLOAD_DECODE_CONCURRENCY.
    max_upload_pixels: int = 16_000_000
    upload_decode_concurrency: int = 2
    # Reference photos per user: how many per period (`limits` syntax), and how many kept at once.
    upload_user_limit: str = "30 per hour"
    upload_user_quota: int = 200
    gradio_cache_max_age_seconds: float = 2 * 3600.0
    public_url: str | None = None  # base URL used in share links; request URL when unset

    # Mail (issue 21). With SMTP_HOST set, letters go to that server from a Huey job (retried); without it they
    # are written to DATA_DIR/outbox/ as .eml files and their link is logged (the embedded single-shop mode).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 20.0
    mail_from: str = "Тортоделова <noreply@tortodelova.local>"
    # None: required exactly when a mail server is configured (a shop without one confirms nobody by mail).
    require_email_confirmation: bool | None = None
    reset_token_minutes: int = 30
    confirm_token_hours: int = 72
    # Password-reset and confirmation-resend requests per address and per client (`limits` syntax).
    mail_account_limit: str = "5 per hour"
    mail_client_limit: str = "30 per hour"
    # Operations (issue 24): /metrics only with `Authorization: Bearer <METRICS_TOKEN>` (absent when unset); each
    # Huey worker process serves its own metrics on WORKER_METRICS_PORT (off when unset, or without a token).
    metrics_token: str | None = None
    worker_metrics_port: int | None = None
    worker_metrics_host: str = "0.0.0.0"

    @model_validator(mode="after")
    def _refuse_weak_production_secret(self) -> "Settings":
        if self.is_production:
            if not self.jwt_secret or len(self.jwt_secret.encode()) < MIN_PRODUCTION_SECRET_BYTES:
                raise ValueError(
                    f"JWT_SECRET must be at least {MIN_PRODUCTION_SECRET_BYTES} bytes when TORTODELOVA_ENV=production"
                )
            if not self.public_url or not self.public_url.startswith(("https://", "http://")):
                # Otherwise the Host header a visitor sends ends up in share links and OG tags.
                raise ValueError("PUBLIC_URL (https://your.domain) is required when TORTODELOVA_ENV=production")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'tortodelova.db').resolve()}"

    @property
    def email_confirmation_required(self) -> bool:
        if self.require_email_confirmation is None:
            return bool(self.smtp_host)
        return self.require_email_confirmation

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def cors_origins(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.cors_allow_origins.split(",") if origin.strip()]

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def uses_s3(self) -> bool:
        return bool(self.s3_endpoint)

    def ensure_data_dir(self) -> None:
        """The data directory is the owner's only (0700), and so are the files directly in it (0600): the SQLite
        databases, the queue and the generated JWT secret."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            self.data_dir.chmod(0o700)
            for path in self.data_dir.iterdir():
                if path.is_file() and not path.is_symlink():
                    path.chmod(0o600)
        except OSError:  # a directory mounted read-only or owned by someone else: leave it as it is
            pass

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or one generated once and kept under data_dir so tokens survive restarts."""
        if self.jwt_secret:
            return self.jwt_secret
        self.ensure_data_dir()
        path = self.data_dir / "jwt_secret"
        if not path.exists():
            _write_private_once(path, secrets.token_urlsafe(48))
        return path.read_text().strip()


def _write_private_once(path: Path, text: str) -> None:
    """Write `text` into a file that is 0600 from its first byte and appears whole or not at all; if another process
    got there first, its file stays."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if the file exists: never replaces a secret already in use
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
