from tortodelova.config import Settings
from tortodelova.storage.base import (
    ImageStore,
    ObjectMissing,
    StorageUnavailable,
    image_key,
    plain_image_key,
    validate_key,
)

__all__ = ["ImageStore", "ObjectMissing", "StorageUnavailable", "image_key", "plain_image_key", "validate_key",
           "make_store"]


def make_store(settings: Settings) -> ImageStore:
    if settings.uses_s3:
        from tortodelova.storage.s3 import S3ImageStore

        return S3ImageStore(
            endpoint=settings.s3_endpoint, access_key=settings.s3_access_key or "",
            secret_key=settings.s3_secret_key or "", bucket=settings.s3_bucket, secure=settings.s3_secure,
            public_endpoint=settings.s3_public_endpoint, region=settings.s3_region,
            public_secure=settings.s3_public_secure,
        )
    from tortodelova.storage.local import LocalImageStore

    return LocalImageStore(settings.images_dir)
