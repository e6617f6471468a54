import pytest

from tests.insights.commands import run


@pytest.fixture
def manage(capsys):
    """`manage(*argv)`: (exit code, stdout, stderr) of `manage.py *argv`."""
    return lambda *argv: run(capsys, *argv)
