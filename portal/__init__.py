"""The customer portal: the pages customers and guests use (views/), what they type (forms/)
and what they read (selectors/), scoped to their own orders."""
