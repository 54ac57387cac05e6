"""Generate real test documents: .docx with real Word footnotes, .pdf with a text layer,
scanned-looking .pdf without one, and plain text in legacy Vietnamese encodings (cp1258, TCVN3).

The TCVN3 encoder here is built independently of the reader's table (from the standard's
layout by vowel and tone), so a round trip through both checks the two against each other.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
TABLE_PLACEHOLDER = "[[table]]"
PAGE_BREAK = "[[page]]"

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_FOOTNOTES_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
_MARKER = re.compile(r"\[\^([^\]\s]+)\]")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")

# --------------------------------------------------------------------------------------------
# TCVN3 encoder
# --------------------------------------------------------------------------------------------

_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền, sắc, hỏi, ngã, nặng
# base letter: (code of the toneless letter or None if ASCII, codes for huyền, sắc, hỏi, ngã, nặng)
_TCVN3_VOWELS: dict[str, tuple[int | None, tuple[int, int, int, int, int]]] = {
    "a": (None, (0xB5, 0xB8, 0xB6, 0xB7, 0xB9)),
    "ă": (0xA8, (0xBB, 0xBE, 0xBC, 0xBD, 0xC6)),
    "â": (0xA9, (0xC7, 0xCA, 0xC8, 0xC9, 0xCB)),
    "e": (None, (0xCC, 0xD0, 0xCE, 0xCF, 0xD1)),
    "ê": (0xAA, (0xD2, 0xD5, 0xD3, 0xD4, 0xD6)),
    "i": (None, (0xD7, 0xDD, 0xD8, 0xDC, 0xDE)),
    "o": (None, (0xDF, 0xE3, 0xE1, 0xE2, 0xE4)),
    "ô": (0xAB, (0xE5, 0xE8, 0xE6, 0xE7, 0xE9)),
    "ơ": (0xAC, (0xEA, 0xED, 0xEB, 0xEC, 0xEE)),
    "u": (None, (0xEF, 0xF3, 0xF1, 0xF2, 0xF4)),
    "ư": (0xAD, (0xF5, 0xF8, 0xF6, 0xF7, 0xF9)),
    "y": (None, (0xFA, 0xFD, 0xFB, 0xFC, 0xFE)),
}
_TCVN3_OTHER = {"đ": 0xAE, "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7}


def _tcvn3_encoding_map() -> dict[str, int]:
    table = dict(_TCVN3_OTHER)
    for base, (plain, toned) in _TCVN3_VOWELS.items():
        if plain is not None:
            table[base] = plain
        for tone, code in zip(_TONES, toned, strict=True):
            table[unicodedata.normalize("NFC", base + tone)] = code
    return table


TCVN3_ENCODE = _tcvn3_encoding_map()
_TCVN3_CODES = frozenset(TCVN3_ENCODE.values())


def _cp1252_byte(ch: str) -> int | None:
    """The Windows-1252 byte of a symbol (“ ” – …) whose code TCVN3 does not use for a letter."""
    try:
        byte = ch.encode("cp1252")[0]
    except UnicodeEncodeError:
        return None
    return None if byte in _TCVN3_CODES else byte


def to_tcvn3(text: str, fold_upper: bool = False) -> bytes:
    """Encode ``text`` in TCVN3 (ABC), symbols such as “ ” – in Windows-1252 as a Word export
    would. Upper-case letters with tones have no VN3 code: with ``fold_upper`` they get the
    lower-case code (as typed in a .VnTimeH font), else ValueError."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ord(ch))
        elif ch in TCVN3_ENCODE:
            out.append(TCVN3_ENCODE[ch])
        elif fold_upper and ch.lower() in TCVN3_ENCODE:
            out.append(TCVN3_ENCODE[ch.lower()])
        elif (byte := _cp1252_byte(ch)) is not None:
            out.append(byte)
        else:
            raise ValueError(f"{ch!r} (U+{ord(ch):04X}) cannot be encoded in TCVN3")
    return bytes(out)


def to_cp1258(text: str) -> bytes:
    """Encode like Windows does for code page 1258: precomposed where the code page has the
    letter, otherwise base letter (â, ê, ơ, ...) followed by a combining tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in decomposed if c in _TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out += (base + tones).encode("cp1258")
    return bytes(out)


# --------------------------------------------------------------------------------------------
# VNI encoder (VNI-Windows): base letter, then one Latin-1 character for shape and tone
# --------------------------------------------------------------------------------------------

# (shape, tone) -> VNI mark, written from the VNI keyboard's table, not from the reader's
_VNI_MARK = {
    ("", "\u0301"): "ù", ("", "\u0300"): "ø", ("", "\u0309"): "û", ("", "\u0303"): "õ", ("", "\u0323"): "ï",
    ("^", ""): "â", ("^", "\u0301"): "á", ("^", "\u0300"): "à", ("^", "\u0309"): "å", ("^", "\u0303"): "ã",
    ("^", "\u0323"): "ä", ("(", ""): "ê", ("(", "\u0301"): "é", ("(", "\u0300"): "è", ("(", "\u0309"): "ú",
    ("(", "\u0303"): "ü", ("(", "\u0323"): "ë",
}  # fmt: skip
_VNI_WHOLE = {"đ": "ñ", "ơ": "ô", "ư": "ö", "ì": "ì", "í": "í", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ỵ": "î"}


def to_vni(text: str) -> bytes:
    """Encode ``text`` as a VNI-Windows font would store it (bytes, Windows-1252 characters)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        lower = ch.lower()
        if lower in _VNI_WHOLE:
            out.append(_VNI_WHOLE[lower].upper() if ch.isupper() else _VNI_WHOLE[lower])
            continue
        base, *marks = unicodedata.normalize("NFD", ch)
        horn = "\u031b" in marks
        shape = "^" if "\u0302" in marks else "(" if "\u0306" in marks else ""
        tone = next((m for m in marks if m in _TONES), "")
        if not marks or ch.isascii():
            out.append(ch)
            continue
        if horn:  # ơ ư with a tone: the horned letter, then the tone
            whole = _VNI_WHOLE["ơ" if base.lower() == "o" else "ư"]
            out.append(whole.upper() if ch.isupper() else whole)
            shape = ""
        elif base.lower() == "i" or base.lower() == "y" and tone == "\u0323":
            plain = unicodedata.normalize("NFC", base.lower() + tone)
            if plain in _VNI_WHOLE:
                out.append(_VNI_WHOLE[plain].upper() if ch.isupper() else _VNI_WHOLE[plain])
                continue
            out.append(base)
        else:
            out.append(base)
        mark = _VNI_MARK[(shape, tone)] if (shape, tone) != ("", "") else ""
        out.append(mark.upper() if ch.isupper() else mark)
    return "".join(out).encode("cp1252")


def write_text(path: Path, text: str, encoding: str) -> Path:
    """Write ``text`` to ``path`` in ``encoding``: any Python codec, or ``tcvn3`` / ``cp1258``
    (Windows-style, see :func:`to_cp1258`). ``utf-16`` writes a BOM, ``utf-8-sig`` too."""
    enc = encoding.lower().replace("_", "-")
    if enc == "tcvn3":
        data = to_tcvn3(text)
    elif enc == "vni":
        data = to_vni(text)
    elif enc in ("cp1258", "windows-1258"):
        data = to_cp1258(text)
    else:
        data = text.encode(encoding)
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------
# .docx
# --------------------------------------------------------------------------------------------


def _footnote_xml(note_id: int, text: str) -> str:
    return (
        f'<w:footnote w:id="{note_id}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
        '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {escape(text)}</w:t></w:r></w:p></w:footnote>'
    )


def _footnotes_part_xml(notes: dict[int, str]) -> bytes:
    separators = (
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240"'
        ' w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0"'
        ' w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
    )
    body = "".join(_footnote_xml(i, t) for i, t in sorted(notes.items()))
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:footnotes xmlns:w="{_W_NS}">{separators}{body}</w:footnotes>'
    )
    return xml.encode("utf-8")


def _note_ids(keys: list[str]) -> dict[str, int]:
    """Footnote key -> w:id: numeric keys keep their number, others follow the largest."""
    ids = {k: int(k) for k in keys if k.isdigit() and int(k) > 0}
    nxt = max(ids.values(), default=0) + 1
    for key in keys:
        if key not in ids:
            ids[key], nxt = nxt, nxt + 1
    return ids


def _add_styles(document) -> None:
    from docx.enum.style import WD_STYLE_TYPE

    names = {s.name for s in document.styles}
    if "Footnote Reference" not in names:
        document.styles.add_style("Footnote Reference", WD_STYLE_TYPE.CHARACTER).font.superscript = True
    if "Footnote Text" not in names:
        document.styles.add_style("Footnote Text", WD_STYLE_TYPE.PARAGRAPH)


def _fill_paragraph(paragraph, text: str, ids: dict[str, int]) -> None:
    """Add ``text`` as runs; each ``[^key]`` becomes a real footnote reference run."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    pos = 0
    for m in _MARKER.finditer(text):
        if m.group(1) not in ids:
            continue
        if m.start() > pos:
            paragraph.add_run(text[pos : m.start()])
        run = paragraph.add_run()
        run.style = "Footnote Reference"
        run.font.superscript = True
        ref = OxmlElement("w:footnoteReference")
        ref.set(qn("w:id"), str(ids[m.group(1)]))
        run._r.append(ref)
        pos = m.end()
    if pos < len(text):
        paragraph.add_run(text[pos:])


def _add_table(document, rows: list[list[str]], ids: dict[str, int]) -> None:
    width = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            _fill_paragraph(table.cell(r, c).paragraphs[0], value, ids)


def _attach_footnotes(document, notes: dict[int, str]) -> None:
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    part = Part(
        PackURI("/word/footnotes.xml"), _FOOTNOTES_CT, _footnotes_part_xml(notes), document.part.package
    )
    document.part.relate_to(part, _FOOTNOTES_RT)


def make_docx(
    path: Path,
    paragraphs: list[str],
    footnotes: dict[str, str] | None = None,
    table: list[list[str]] | None = None,
) -> Path:
    """Build a real .docx. ``[^key]`` in a paragraph or cell is a Word footnote reference whose
    text is ``footnotes[key]`` (numeric keys become the w:id). A paragraph ``"# Title"`` is a
    heading (level = number of ``#``). The table goes where a paragraph equals
    ``"[[table]]"``, else at the end."""
    import docx

    footnotes = footnotes or {}
    ids = _note_ids(list(footnotes))
    document = docx.Document()
    _add_styles(document)
    placed = False
    for text in paragraphs:
        if text == TABLE_PLACEHOLDER and table:
            _add_table(document, table, ids)
            placed = True
            continue
        m = _HEADING.match(text)
        if m:
            _fill_paragraph(document.add_heading(level=len(m.group(1))), m.group(2), ids)
        else:
            _fill_paragraph(document.add_paragraph(), text, ids)
    if table and not placed:
        _add_table(document, table, ids)
    if footnotes:
        _attach_footnotes(document, {ids[k]: v for k, v in footnotes.items()})
    path = Path(path)
    document.save(str(path))
    docx.Document(str(path))  # re-open: the package must be valid for python-docx
    return path


# --------------------------------------------------------------------------------------------
# .pdf
# --------------------------------------------------------------------------------------------


def _require_font() -> Path:
    if not DEJAVU_SANS.is_file():
        raise FileNotFoundError(
            f"{DEJAVU_SANS} is missing: install fonts-dejavu-core to build Vietnamese PDFs"
        )
    return DEJAVU_SANS


def make_pdf(
    path: Path,
    paragraphs: list[str],
    owner_password: str | None = None,
    user_password: str | None = None,
) -> Path:
    """Build a real PDF with a text layer (DejaVu Sans, Vietnamese-safe), one paragraph after
    another; a paragraph ``"[[page]]"`` starts a new page. With ``owner_password`` the file is
    RC4-encrypted (``user_password`` is then needed to open it)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(_require_font()))
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    for text in paragraphs:
        if text == PAGE_BREAK:
            pdf.add_page()
            continue
        pdf.multi_cell(0, 7, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
    if owner_password is not None:
        pdf.set_encryption(owner_password=owner_password, user_password=user_password)
    path = Path(path)
    pdf.output(str(path))
    return path


def make_scanned_pdf(path: Path, text: str = "Ảnh quét văn bản") -> Path:
    """Build a PDF whose page is only an image of text (like a scan): no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (800, 200), "white")
    font = ImageFont.truetype(str(_require_font()), 32)
    ImageDraw.Draw(image).text((20, 80), text, fill="black", font=font)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=180)
    path = Path(path)
    pdf.output(str(path))
    return path
