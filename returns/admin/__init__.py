"""The back-office pages of returns, registered on the admin site: reasons, actions and the
returns (returns.py, with a return's page in pages.py and its label actions in labels.py),
return rules, shipping methods and labels (rules.py), and the orders with *Create return*
(orders.py). forms.py holds what staff type on them."""

from returns.admin import orders, returns, rules  # noqa: F401  (importing registers the pages)
