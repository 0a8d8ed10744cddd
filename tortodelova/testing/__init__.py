"""Builders of tiny random models in the exact on-disk layout of the real ones (`download_models.py --tiny`, the
tests, the benchmarks' real-size random weights). Not imported by the running service."""
