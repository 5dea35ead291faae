"""Memory retrieval helpers: text normalisation for SQLite FTS5 and a small re-ranker."""

from server.memory.search_rank import rank
from server.memory.search_text import index_terms, match_query, synonyms, tokens

__all__ = ["index_terms", "match_query", "rank", "synonyms", "tokens"]
