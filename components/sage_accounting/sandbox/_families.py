"""Imports every resource family module, so each registers its resources (see ``_registry``).

One line a family; the order is the seed order (a payment's bank account is seeded first).
"""
