"""The ML side: RU→EN translation, prompt building, image generation.

Kept import-light on purpose: the web process imports ``models``, ``glossary``, ``prompts`` and ``errors`` from here
without pulling in torch; ``translator``, ``generator`` and ``tiny`` import it and are used by the worker only.
"""
