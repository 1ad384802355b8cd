"""`make faults`: the fault suite (see `suite.py` for its frame and `catalog.py` for the cases)."""
