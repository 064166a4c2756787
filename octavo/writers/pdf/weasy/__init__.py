"""Everything that reads or replaces a private name of WeasyPrint or pydyf, in one place.

Each module says which internals it relies on; ``checked`` holds the version and source checks.
"""
