"""Sample data for the sandbox: `leads.csv` (regenerate with `python -m sandbox.data.generate`)."""
