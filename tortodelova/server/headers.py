"""`SecurityHeaders`: `nosniff`, a `Referrer-Policy`, CSP and `X-Frame-Options` on every answer (built with
`secure`), per kind of response: JSON, the share page, the Gradio page, the API docs."""
from __future__ import annotations

import secure

from tortodelova.config import Settings


def _origin_of(endpoint: str | None, https: bool) -> str | None:
    if not endpoint:
        return None
    return endpoint if "://" in endpoint else f"{'https' if https else 'http'}://{endpoint}"


def security_header_sets(settings: Settings) -> dict[str, dict[str, str]]:
    """Headers per kind of response: "api" (JSON), "share" (/s/ pages), "page" (the Gradio UI and the rest)."""
    images = ["'self'", "data:", "blob:"]
    s3 = _origin_of(settings.s3_public_endpoint or settings.s3_endpoint,
                    settings.s3_public_secure if settings.s3_public_secure is not None else settings.s3_secure)
    if settings.uses_s3 and s3:
        images.append(s3)
    common = dict(xcto=secure.XContentTypeOptions().nosniff(), xfo=secure.XFrameOptions().deny())
    hsts = None
    if settings.is_production and (settings.public_url or "").startswith("https://"):
        hsts = secure.StrictTransportSecurity().max_age(31536000)
    api = secure.Secure(csp=secure.ContentSecurityPolicy().default_src("'none'").frame_ancestors("'none'"),
                        referrer=secure.ReferrerPolicy().no_referrer(), hsts=hsts, **common)
    share = secure.Secure(
        csp=secure.ContentSecurityPolicy().default_src("'self'").img_src(*images).style_src("'self'", "'unsafe-inline'")
        .script_src("'self'").object_src("'none'").base_uri("'none'").form_action("'self'")
        .frame_ancestors("'none'"),
        referrer=secure.ReferrerPolicy().no_referrer(), hsts=hsts, **common)
    # Gradio's page needs its own inline script and styles; what matters here is that no other site frames it and
    # no plugin or foreign <base> is loaded.
    page = secure.Secure(
        csp=secure.ContentSecurityPolicy().object_src("'none'").base_uri("'self'").frame_ancestors("'none'"),
        referrer=secure.ReferrerPolicy().strict_origin_when_cross_origin(), hsts=hsts, **common)
    docs = secure.Secure(csp=secure.ContentSecurityPolicy().frame_ancestors("'none'"),
                         referrer=secure.ReferrerPolicy().no_referrer(), hsts=hsts, **common)
    return {name: dict(value.headers) for name, value in
            (("api", api), ("share", share), ("page", page), ("docs", docs))}


class SecurityHeaders:
    def __init__(self, app, *, settings: Settings):
        self.app = app
        self.sets = {name: [(k.lower().encode(), v.encode()) for k, v in headers.items()]
                     for name, headers in security_header_sets(settings).items()}

    def _kind(self, path: str) -> str:
        if path.startswith(("/api/docs", "/api/redoc")):
            return "docs"
        if path.startswith("/api/") or path in ("/api", "/health"):
            return "api"
        if path.startswith(("/s/", "/c/")):
            return "share"
        return "page"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = self.sets[self._kind(scope.get("path", ""))]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *((k, v) for k, v in extra if k not in present)]}
            await send(message)

        return await self.app(scope, receive, send_with_headers)
