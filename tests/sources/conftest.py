import sys
from pathlib import Path

# The fixtures live in the tests.site package; make the project root importable
# whichever way pytest was started.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.site.fixtures import *  # noqa: E402, F403
