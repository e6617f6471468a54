import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The helpers create several users per test: the production hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
