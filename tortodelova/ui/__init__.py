"""The Gradio UI. `mount_ui(app, services)` mounts the Blocks at / on the FastAPI app (after every /api route)."""
from __future__ import annotations


def mount_ui(app, services):
    import gradio as gr

    from tortodelova.ui.app import build_ui, launch_options

    return gr.mount_gradio_app(app, build_ui(services), path="/", **launch_options(services.settings))
