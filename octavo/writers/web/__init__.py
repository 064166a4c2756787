"""The web edition: one HTML page per chapter, a contents sidebar and a client-side search index."""
