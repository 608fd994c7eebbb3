"""Textual front end of apim-wizard (thin: it edits the answer model and shows what wizard/ renders)."""
