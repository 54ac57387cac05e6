"""VNI (VNI-Windows) Vietnamese: detection and conversion to Unicode.

Text typed in a VNI font stores each accented letter as its base letter followed by a Latin-1
character for the marks: ``Vieät`` is ``Việt`` (``ä`` = circumflex + dot below), ``Ñöôøng``
is ``Đường``. Read as Windows-1252 (or copied into a Unicode document with the VNI font kept)
it looks like French or German mojibake. :func:`vni_to_unicode` rebuilds the letters;
:func:`looks_vni` says whether a text is VNI by how many well-formed Vietnamese syllables the
conversion yields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE = "\u0302", "\u0306"

#: VNI mark character (lower case) -> (vowel shape mark or "", tone mark or "").
_MARKS: dict[str, tuple[str, str]] = {
    "ù": ("", _ACUTE), "ø": ("", _GRAVE), "û": ("", _HOOK), "õ": ("", _TILDE), "ï": ("", _DOT),
    "â": (_CIRCUMFLEX, ""), "á": (_CIRCUMFLEX, _ACUTE), "à": (_CIRCUMFLEX, _GRAVE),
    "å": (_CIRCUMFLEX, _HOOK), "ã": (_CIRCUMFLEX, _TILDE), "ä": (_CIRCUMFLEX, _DOT),
    "ê": (_BREVE, ""), "é": (_BREVE, _ACUTE), "è": (_BREVE, _GRAVE),
    "ú": (_BREVE, _HOOK), "ü": (_BREVE, _TILDE), "ë": (_BREVE, _DOT),
}  # fmt: skip
#: VNI characters that are whole letters by themselves (lower case).
_LETTERS: dict[str, str] = {
    "ô": "ơ", "ö": "ư", "ñ": "đ", "ì": "ì", "í": "í", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ",
}  # fmt: skip
_SHAPES = {_CIRCUMFLEX: set("aeo"), _BREVE: {"a"}}
_SHAPE_MARKS = {_CIRCUMFLEX, _BREVE, "\u031b"}  # circumflex, breve, horn
_TONES = {_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT}
# VNI characters that Vietnamese written in Unicode never uses (ø for the grave, ö for ư, ñ for đ…)
_FOREIGN = "øûïäåëüöñæî"
_TELLTALE = re.compile(rf"[A-Za-z][{_FOREIGN}{_FOREIGN.upper()}]")


def _apply(base: str, shape: str, tone: str) -> str | None:
    """``base`` with the marks added, or None when VNI would not put them on that letter."""
    letter, *marks = unicodedata.normalize("NFD", base)
    if letter.lower() not in "aeiouy":
        return None
    if tone and any(m in _TONES for m in marks):
        return None
    if shape and (letter.lower() not in _SHAPES[shape] or any(m in _SHAPE_MARKS for m in marks)):
        return None
    shapes = [m for m in marks if m in _SHAPE_MARKS]
    tones = [m for m in marks if m in _TONES]
    combined = unicodedata.normalize("NFC", letter + "".join(shapes) + shape + "".join(tones) + tone)
    return combined if len(combined) == 1 else None


def vni_to_unicode(text: str) -> str:
    """Convert VNI text (as Windows-1252 characters) to NFC Unicode Vietnamese."""
    out: list[str] = []
    for ch in text:
        lower = ch.lower()
        if lower in _MARKS and out:
            merged = _apply(out[-1], *_MARKS[lower])
            if merged is not None:
                out[-1] = merged
                continue
        if lower in _LETTERS:
            letter = _LETTERS[lower]
            out.append(letter.upper() if ch.isupper() else letter)
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def telltales(text: str) -> int:
    """How many letters ``text`` has followed by a VNI character foreign to Vietnamese Unicode."""
    return len(_TELLTALE.findall(text))


def looks_vni(text: str, score: Callable[[str], int]) -> bool:
    """Whether ``text`` reads as Vietnamese once converted from VNI, judged by ``score``
    (well-formed Vietnamese syllables): the conversion must gain clearly, not a stray ``é``."""
    sample = text[:200_000]
    if telltales(sample) < max(3, len(sample) // 2_000):
        return False
    before, after = score(sample), score(vni_to_unicode(sample))
    return after >= 5 and after > 2 * max(before, 1)
