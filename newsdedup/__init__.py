"""The app layer: the command line, the daemon and the process-wide settings.

The only code that imports ingest, storage and feeds together and wires them.
"""
