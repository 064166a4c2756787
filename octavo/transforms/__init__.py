"""Pure steps over the book model and rendered chapters; each writer picks the ones it needs."""
