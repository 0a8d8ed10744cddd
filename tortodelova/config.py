"""One settings object, read from the environment (and an optional `.env`).

Tests build their own `Settings(...)` instead of patching `os.environ`.
"""
from __future__ import annotations

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

    # Demo
    demo_daily_cap: int = 200
    demo_cookie_name: str = "tortodelova_guest"

    # Gradio
    max_upload_bytes: int = 8 * 1024 * 1024
    public_url: str | None = None  # base URL used in share links; request URL when unset

    @model_validator(mode="after")
    def _refuse_weak_production_secret(self) -> "Settings":
        if self.is_production:
            if not self.jwt_secret or len(self.jwt_secret.encode()) < MIN_PRODUCTION_SECRET_BYTES:
                raise ValueError(
                    f"JWT_SECRET must be at least {MIN_PRODUCTION_SECRET_BYTES} bytes when TORTODELOVA_ENV=production"
                )
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'tortodelova.db').resolve()}"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def uses_s3(self) -> bool:
        return bool(self.s3_endpoint)

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or one generated once and kept under data_dir so tokens survive restarts."""
        if self.jwt_secret:
            return self.jwt_secret
        self.ensure_data_dir()
        path = self.data_dir / "jwt_secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
