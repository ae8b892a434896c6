"""Imports every resource family module, so each registers its resources (see ``_registry``).

One line a family; the order is the seed order (a payment's bank account is seeded first).
"""

from sage_accounting.sandbox import (  # noqa: F401 - each module registers its resources
    _attachments,
    _bank,
    _credit_notes,
    _catalogue,
    _journals,
    _payments,
    _quotes,
    _settings,
)
