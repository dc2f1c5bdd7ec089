"""The PostgreSQL backend: `PostgresDatabase` implements `storage.interfaces.Database` for
several workers on one database server. Only this package imports psycopg."""

from storage.postgres.database import PostgresDatabase

__all__ = ["PostgresDatabase"]
