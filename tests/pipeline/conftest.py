import pytest

from tortodelova.testing.tiny_translator import build_tiny_translator


@pytest.fixture(scope="session")
def tiny_translator_dir(tmp_path_factory):
    """A tiny opus-mt-ru-en look-alike, built once per test session (about 10 s on 2 cores)."""
    path = tmp_path_factory.mktemp("models") / "opus-mt-ru-en"
    build_tiny_translator(path)
    return path
