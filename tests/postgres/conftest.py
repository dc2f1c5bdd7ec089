from tests.postgres.fixtures import postgres_server, postgres_url  # noqa: F401
