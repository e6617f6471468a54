"""Demo data of the returns app: returns in every status (returns.py) and rules (rules.py)."""
