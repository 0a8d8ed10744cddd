"""The Gradio UI. `mount_ui(app, services)` mounts the Blocks at / on the FastAPI app (after every /api route)."""
from __future__ import annotations


def mount_ui(app, services):
    import gradio as gr
    from starlette.routing import Mount

    from tortodelova.ui.app import build_ui, launch_options
    from tortodelova.ui.page import RussianPage, UnknownSession

    blocks = build_ui(services)
    app = gr.mount_gradio_app(app, blocks, path="/", **launch_options(services.settings))
    # What `Blocks.launch()` (and Gradio's own reload, `utils.swap_blocks`) sets and `mount_gradio_app` does not:
    # without it `processing_utils._check_allowed` returns early, so a file input naming any server path
    # (/dev/zero, DATA_DIR/jwt_secret, another chef's image) was hashed in the event loop and copied into the
    # cache as the caller's upload. Launched, an input must be a file Gradio itself received (its upload folder),
    # and `blocked_paths` (DATA_DIR, MODELS_DIR) hold for outputs too.
    blocks.has_launched = True
    for route in app.routes:  # the page itself speaks Russian before any script runs
        if isinstance(route, Mount) and route.path in ("", "/"):
            route.app.add_middleware(RussianPage)
            route.app.add_middleware(UnknownSession, blocks=blocks)
    return app
