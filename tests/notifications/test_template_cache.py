"""The worker reads and compiles each email template once per process: the engine's loader is
Django's cached one in the production settings (DEBUG off), and staff's texts are compiled once
per text (notifications.models.compile_template_source)."""

from unittest import mock

from django.template import Engine
from django.template.loaders.cached import Loader as CachedLoader

from notifications.emails import default_template_source


def test_the_email_templates_come_through_the_cached_loader(settings):
    # given: the production settings' engine
    assert settings.DEBUG is False
    engine = Engine.get_default()
    # then
    assert [type(loader) for loader in engine.template_loaders] == [CachedLoader]


def test_a_default_template_file_is_read_once_per_process():
    # given: the template read once
    default_template_source("approved", "fr", "html_body")
    # when: read again, with the file system out of reach
    with mock.patch("django.template.loaders.filesystem.Loader.get_contents") as read:
        source = default_template_source("approved", "fr", "html_body")
    # then
    read.assert_not_called()
    assert source.startswith('{% extends "emails/layout.fr.html" %}')
