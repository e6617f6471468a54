"""Running a command as `manage.py` does (argv parsed, errors to stderr, the exit code)."""

from django.core.management import ManagementUtility


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `manage.py *argv`, in this process (the test database);
    the system checks are skipped (the tests' settings leave webhook secrets out on purpose)."""
    code = 0
    try:
        ManagementUtility(["manage.py", *argv, "--skip-checks"]).execute()
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err
