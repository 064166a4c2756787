"""One writer per output; each takes the assembled book and a staging folder."""
