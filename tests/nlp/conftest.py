import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: slow NLP tests (deselect with -m 'not slow')")


@pytest.fixture(scope="session")
def labelled():
    from nlp.evaluate import load_labelled
    return load_labelled()
