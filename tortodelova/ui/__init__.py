"""The Gradio UI. `mount_ui(app, services)` mounts the Blocks at / on the FastAPI app (after every /api route)."""
from __future__ import annotations


def mount_ui(app, services):
    try:
        from tortodelova.ui.app import build_ui, launch_options
    except ImportError:  # the UI is being built in its own issue; until then / shows the API docs
        from fastapi.responses import RedirectResponse

        @app.get("/", include_in_schema=False)
        def root():
            return RedirectResponse("/api/docs")

        return app
    import gradio as gr

    return gr.mount_gradio_app(app, build_ui(services), path="/", **launch_options(services.settings))
