"""Imports every resource family module, so each registers its resources (see ``_registry``).

One line a family, in name order. Registration (and so seed) order follows the imports: a
module that needs another's records imports it (``_bank`` imports ``_payments`` for its bank
accounts), which registers that one first.
"""

from sage_accounting.sandbox import (  # noqa: F401 - each module registers its resources
    _attachments,
    _bank,
    _catalogue,
    _credit_notes,
    _journals,
    _payments,
    _quotes,
    _settings,
)
