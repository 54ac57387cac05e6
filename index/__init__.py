"""Index: passages become a persisted hybrid (dense + lexical) index, and are retrieved."""
