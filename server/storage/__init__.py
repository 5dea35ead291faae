"""Everything the server keeps: one SQLite database (WAL) and one media folder."""
