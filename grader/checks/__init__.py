"""The check catalog: one module per area of the assignment, declared in order in catalog.py."""
