"""The app layer: the command line, the daemon and the process-wide settings; the only code that wires ingest, storage and feeds together."""
