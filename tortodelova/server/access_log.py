"""Claim tokens and signatures stay out of uvicorn's access log."""
from __future__ import annotations

import logging
import re

_SECRET_QUERY = re.compile(r"(?i)([?&](?:claim_token|token|access_token|sig|signature|x-amz-[a-z-]+|expires)=)[^&\s]*")


class RedactSecrets(logging.Filter):
    """uvicorn logs `"GET /path?query HTTP/1.1"`: the values of secret-looking parameters become `***`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], _SECRET_QUERY.sub(r"\1***", args[2]), *args[3:])
        return True


def redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())
