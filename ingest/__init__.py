"""newsdedup ingest: sources, fetching, extraction, fingerprints, matching and the pipeline."""

__version__ = "0.1.0"
