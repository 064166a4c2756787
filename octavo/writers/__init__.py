"""One package per output, each with a `WRITER` (base.py) that registry.py names."""
