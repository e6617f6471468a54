"""Every command of ours explains itself (`--help`), and every one that changes data is a dry
run unless --apply (issue: operations and insight). The per-command behaviour (good run, bad
arguments, dry run, failure midway) is tested beside each command's code."""

from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from tests.insights.commands import run

ROOT = Path(__file__).resolve().parent.parent
OURS = sorted(
    (name, app)
    for name, app in get_commands().items()
    if (ROOT / app.replace(".", "/") / "management" / "commands" / f"{name}.py").exists()
)
# What changes data, and so must not without --apply. backup writes a new file only (and
# refuses to overwrite); restore replaces everything and asks first (or --force).
CHANGES_DATA = {
    "analytics_refresh",
    "create_staff",
    "generate_load_data",
    "import_orders",
    "notifications_sweep",
    "returns_expire",
    "seed_demo",
    "tracking_import",
}


def test_the_list_of_our_commands_is_known():
    assert {name for name, _app in OURS} == CHANGES_DATA | {
        "backup",
        "export_returns",
        "healthcheck",
        "restore",
        "returns_report",
    }


@pytest.mark.parametrize(("name", "app"), OURS)
def test_help_says_what_the_command_does(capsys, name, app):
    # when
    code, out, _err = run(capsys, name, "--help")
    # then
    assert code == 0
    command = load_command_class(app, name)
    assert len(command.help) > 40, f"{name}: its help is too short to explain it"
    assert " ".join(command.help.split()[:4]) in " ".join(out.split())


@pytest.mark.parametrize("name", sorted(CHANGES_DATA))
def test_a_command_that_changes_data_takes_apply(capsys, name):
    _code, out, _err = run(capsys, name, "--help")
    assert "--apply" in out
