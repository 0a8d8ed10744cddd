"""The composition root: the one place that knows every package and puts the app together.

- `app`: the app factory (`create_app`, `build_services`) and the in-flight request limit;
- `routes`: the one router registry;
- `guard`, `headers`, `access_log`: the middleware, one concern per module;
- `errors`: the single translation of domain errors and infrastructure failures into HTTP answers;
- `health`: `/health` and `/api/health`.

`uvicorn tortodelova.server:create_app --factory` in production; `python app.py` for the embedded default.
"""
from tortodelova.server.app import build_services, create_app

__all__ = ["build_services", "create_app"]
