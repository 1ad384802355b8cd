"""The sync engine (see sync/README.md): vocabulary, normalizers, mapping, the pure planner, execution."""
