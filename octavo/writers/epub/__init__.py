"""The EPUB 3 writer: pages from templates, the package document, and a reproducible zip."""
