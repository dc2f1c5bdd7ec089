from tests.site.fixtures import *  # noqa: F403
