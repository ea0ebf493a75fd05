"""The incident registry: postmortems, the tests that guard them, and their last results."""
