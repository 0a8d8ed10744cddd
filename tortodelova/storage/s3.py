from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Iterator

import urllib3
from minio import Minio
from minio.error import S3Error

from tortodelova.storage.base import ObjectMissing, StorageUnavailable, validate_key

logger = logging.getLogger(__name__)
_MISSING = {"NoSuchKey", "NoSuchObject", "NoSuchBucket"}


class S3ImageStore:
    """Images in a private S3 bucket. Browsers get short-lived presigned GET URLs signed for the public endpoint."""

    def __init__(self, *, endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool = False,
                 public_endpoint: str | None = None, region: str = "us-east-1", public_secure: bool | None = None):
        # Short timeouts and few retries: an unreachable S3 must fail a job quickly, not hang a worker.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=3, read=30), retries=urllib3.Retry(total=2, backoff_factor=0.2),
            maxsize=16,
        )
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region,
                            http_client=http)
        # Presigning is pure computation; giving the region avoids a network round trip to the public host.
        self.public_client = Minio(
            public_endpoint or endpoint, access_key=access_key, secret_key=secret_key,
            secure=secure if public_secure is None else public_secure, region=region,
        )
        self.bucket = bucket
        self._bucket_ready = False

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except S3Error as exc:
            if exc.code in _MISSING:
                raise ObjectMissing() from None
            logger.warning("S3 error %s on %s", exc.code, getattr(fn, "__name__", fn))
            raise StorageUnavailable() from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            logger.warning("S3 unreachable: %s", exc)
            raise StorageUnavailable() from exc

    def ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        if not self._call(self.client.bucket_exists, bucket_name=self.bucket):
            try:
                self.client.make_bucket(bucket_name=self.bucket)
            except S3Error as exc:
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise StorageUnavailable() from exc
        self._bucket_ready = True

    def put(self, key: str, data: bytes, content_type: str = "image/png") -> None:
        self.ensure_bucket()
        self._call(self.client.put_object, bucket_name=self.bucket, object_name=validate_key(key),
                   data=io.BytesIO(data), length=len(data), content_type=content_type)

    def get(self, key: str) -> bytes:
        response = self._call(self.client.get_object, bucket_name=self.bucket, object_name=validate_key(key))
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def stream(self, key: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        response = self._call(self.client.get_object, bucket_name=self.bucket, object_name=validate_key(key))

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.stream(chunk_size)
            finally:
                response.close()
                response.release_conn()

        return chunks()

    def size(self, key: str) -> int:
        return self._call(self.client.stat_object, bucket_name=self.bucket, object_name=validate_key(key)).size

    def delete(self, key: str) -> None:
        self._call(self.client.remove_object, bucket_name=self.bucket, object_name=validate_key(key))

    def presign(self, key: str, seconds: int) -> str | None:
        return self.public_client.presigned_get_object(
            bucket_name=self.bucket, object_name=validate_key(key), expires=timedelta(seconds=seconds)
        )

    def health(self) -> str:
        try:
            self._call(self.client.bucket_exists, bucket_name=self.bucket)
            return "ok"
        except StorageUnavailable:
            return "unavailable"
