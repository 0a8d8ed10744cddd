"""The ML side: RU→EN translation, prompt building, image generation.

Kept import-light on purpose: the web process imports ``models``, ``glossary``, ``prompts`` and ``errors`` from here
without pulling in torch; ``translator`` and ``generator`` import it and are used by the worker only (the tiny-model
builders live in ``tortodelova.testing``).
"""
