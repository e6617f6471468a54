"""The returns back-office pages, registered on the admin site: reasons, actions and the returns
(returns.py, with a return's page in pages.py and its label actions in labels.py), return rules,
shipping methods and labels (rules.py). forms.py holds what staff type on them."""

from returns.admin import returns, rules  # noqa: F401  (importing registers the pages)
