"""Claim modules, one per paper topic, named ``<paperkey>_<topic>.py``.

Each module registers its claims with :func:`ibtheory.ledger.claim` at import.
A check compares independent routes on representative instances and must run
in a few seconds: the whole ledger stays under two minutes on two cores.
"""
