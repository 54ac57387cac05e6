"""Vietnamese text normalisation for matching (never for display).

Display text stays as the source wrote it; these functions build keys that compare equal
across Unicode forms (NFC/NFD), letter case, old vs. new tone placement (``hòa``/``hoà``,
``thủy``/``thuỷ``) and thousands/decimal separators (``34.881``/``34,881``).
"""

from __future__ import annotations

import re
import unicodedata

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
# Upper-case letters, Vietnamese included, for regex classes ("À-Ỹ" would take lower case too).
UPPER = "A-Z" + "".join(chr(c) for c in range(0xC0, 0x1EF9) if chr(c).isupper() and chr(c).isalpha())
LOWER = "a-z" + "".join(chr(c) for c in range(0xC0, 0x1EF9) if chr(c).islower() and chr(c).isalpha())
_SUPER_TO_DIGIT = {ord(c): str(i) for i, c in enumerate(SUPERSCRIPT_DIGITS)}
_DIGIT_TO_SUPER = {str(i): c for i, c in enumerate(SUPERSCRIPT_DIGITS)}

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_LETTER = r"[^\W\d_]"
# A glide + main vowel pair at the end of a syllable: old style puts the tone on the glide.
_OLD_TONE = re.compile(rf"(?<!q)([oOuU])([\u0300\u0301\u0303\u0309\u0323])([aAeEyY])(?!{_LETTER})")
_NUMBER_SEP = re.compile(r"(?<=\d)[.,](?=\d)")
_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC."""
    return unicodedata.normalize("NFC", text)


def fold_tone_placement(text: str) -> str:
    """Rewrite old tone placement (``hòa``, ``thủy``) to the new one (``hoà``, ``thuỷ``).

    Length-preserving on NFC input: each two-letter glide+vowel pair stays two letters.
    """
    decomposed = unicodedata.normalize("NFD", text)
    if not any(ch in _TONES for ch in decomposed):
        return nfc(text)
    folded = _OLD_TONE.sub(lambda m: m.group(1) + m.group(3) + m.group(2), decomposed)
    return nfc(folded)


def to_superscript(number: int) -> str:
    """``12`` -> ``¹²``."""
    return "".join(_DIGIT_TO_SUPER[d] for d in str(number))


def from_superscript(marker: str) -> int:
    """``¹²`` -> ``12``."""
    return int(marker.translate(_SUPER_TO_DIGIT))


def strip_superscripts(text: str) -> str:
    """Remove footnote markers (superscript digits) from ``text``."""
    return re.sub(f"[{SUPERSCRIPT_DIGITS}]+", "", text)


def match_key(text: str) -> str:
    """A key for comparing text: NFC, lower case, tones folded, separators unified, spaces collapsed."""
    key = fold_tone_placement(nfc(text)).lower()
    key = strip_superscripts(key)
    key = _NUMBER_SEP.sub("·", key)
    return _SPACES.sub(" ", key).strip()


def contains(haystack: str, needle: str) -> bool:
    """True when ``needle`` occurs in ``haystack`` under :func:`match_key`."""
    return match_key(needle) in match_key(haystack)
