"""The Gradio UI. `mount_ui(app, services)` mounts the Blocks at / on the FastAPI app (after every /api route)."""
from __future__ import annotations


def mount_ui(app, services):
    import gradio as gr
    from starlette.routing import Mount

    from tortodelova.ui.app import build_ui, launch_options
    from tortodelova.ui.page import RussianPage

    app = gr.mount_gradio_app(app, build_ui(services), path="/", **launch_options(services.settings))
    for route in app.routes:  # the page itself speaks Russian before any script runs
        if isinstance(route, Mount) and route.path in ("", "/"):
            route.app.add_middleware(RussianPage)
    return app
