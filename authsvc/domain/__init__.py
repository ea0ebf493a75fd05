"""authsvc's domain: the records, outcomes and session rules every layer shares.

It imports nothing else from authsvc, so services, storage, workers and HTTP can all use it
without an upward import. The one record that holds a password hash lives apart, in
:mod:`authsvc.domain.credentials`, which routes may not import (an import-linter contract).
"""
