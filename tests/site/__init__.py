"""A local news site for tests: real HTTP on 127.0.0.1, articles in four languages, fault routes.

    with NewsSite() as site:
        site.url                      # http://127.0.0.1:PORT
        site.state.requests_to("/")   # what the server saw, with arrival times

Pytest fixtures are in tests.site.fixtures; import them into a conftest.py.
"""

from tests.site.app import Hit, SiteState
from tests.site.server import NewsSite

__all__ = ["Hit", "NewsSite", "SiteState"]
