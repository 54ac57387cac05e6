"""Resource limits applied while reading and splitting a file, so one file cannot exhaust the machine.

Each limit is far above what a real report or legal text needs (the largest Vietnamese code,
the Civil Code, is about 0.7 million characters); a file past one is either refused with a
message saying what to do, or cut, and the cut is reported.
"""

from __future__ import annotations

#: Any file larger than this is refused before it is read.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: Parts (files) inside a .docx package; real documents have tens, a few hundred with images.
MAX_DOCX_PARTS = 2_000
#: Decompressed size of one XML part read from a .docx (document, footnotes, endnotes, relations).
MAX_DOCX_PART_BYTES = 50 * 1024 * 1024
#: Pages of a PDF whose text is extracted.
MAX_PDF_PAGES = 2_000
#: Characters of text one document may hold (after decoding); more is refused.
MAX_TEXT_CHARS = 10_000_000
#: An unbroken run of characters (no space) longer than this is not a word: it is cut.
MAX_WORD_CHARS = 500
#: What is kept of such a run: its start, followed by "…".
KEPT_WORD_CHARS = 60
#: Longest sentence (or run of text without a sentence end) put in one passage piece.
MAX_SENTENCE_CHARS = 2_000
#: Passages one document may add to the index; the rest of a longer file is left out and reported.
MAX_PASSAGES_PER_DOCUMENT = 3_000
#: Characters of a passage the embedding model sees: about 300 tokens of Vietnamese (the corpus's longest
#: passage has 1,059); a run of digits or symbols this long is already 350 tokens, and a token costs.
MAX_EMBED_CHARS = 1_200
