"""Domain models built on the domain-free engine in :mod:`sim`."""
