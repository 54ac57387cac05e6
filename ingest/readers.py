"""File readers: .txt, .md, .docx and .pdf files become :class:`SourceText`.

Every reader returns NFC text with ``\\n`` line ends (see :func:`normalize_text`). Plain-text
files are decoded as UTF-8, UTF-16/32 (with a BOM), Windows-1258 or the legacy TCVN3 (ABC)
8-bit encoding of old Vietnamese government documents. Any file that cannot be read raises
:class:`IngestError` naming the file and the reason; no library traceback escapes.
"""

from __future__ import annotations

import codecs
import io
import logging
import posixpath
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from lxml import etree
from pypdf import PageObject, PdfReader

from ingest import limits
from ingest.source import IngestError, SourceText, file_kind
from ingest.vietnamese import to_superscript
from ingest.vni import looks_vni, vni_to_unicode

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")

# --------------------------------------------------------------------------------------------
# Text normalisation
# --------------------------------------------------------------------------------------------

_KEEP_CONTROLS = {"\n", "\t"}
_TRANSLATE: dict[int, str | None] = {
    0x00A0: " ",  # no-break space
    0x2007: " ",  # figure space
    0x202F: " ",  # narrow no-break space
    0xFEFF: None,  # byte order mark / zero-width no-break space
    0x200B: None,  # zero-width space
    0x00AD: None,  # soft hyphen
    0x000B: "\n",  # vertical tab (Word's manual line break in plain-text exports)
    0x000C: "\n",  # form feed (page break)
    0x2028: "\n",  # line separator
    0x2029: "\n\n",  # paragraph separator
}
_TRANSLATE.update(
    {
        cp: None
        for cp in [*range(0x00, 0x20), *range(0x7F, 0xA0)]
        if chr(cp) not in _KEEP_CONTROLS and cp not in _TRANSLATE
    }
)


def normalize_text(text: str) -> str:
    """NFC; ``\\r\\n``/``\\r`` -> ``\\n``; NBSP -> space; drop BOMs and controls but ``\\n``/``\\t``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text.translate(_TRANSLATE))


# --------------------------------------------------------------------------------------------
# TCVN3 (TCVN 5712:1993, VN3 / "ABC", .VnTime fonts)
# --------------------------------------------------------------------------------------------

#: TCVN3 byte -> Unicode letter. VN3 codes the lower-case Vietnamese letters (12 vowels x 5
#: tones, ă â ê ô ơ ư đ) and the upper-case Ă Â Ê Ô Ơ Ư Đ; upper-case letters with tones were
#: typed with the lower-case codes in an upper-case font (.VnTimeH).
TCVN3_TO_UNICODE: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip


def _tcvn3_decoding_table() -> str:
    """256-character charmap: ASCII, TCVN3 letters, other high bytes as Windows-1252."""
    chars = [chr(i) for i in range(128)]
    chars += [bytes([b]).decode("cp1252", errors="replace") for b in range(128, 256)]
    for byte, char in TCVN3_TO_UNICODE.items():
        chars[byte] = char
    return "".join(chars)


_TCVN3_TABLE = _tcvn3_decoding_table()
_ASCII_UPPER = re.compile(r"[A-Z]")
_ASCII_LOWER = re.compile(r"[a-z]")
_WORD = re.compile(r"\w+")


def _typed_in_caps(word: str) -> bool:
    """``ĐIềU``, ``QUYếT``: two or more ASCII capitals, no ASCII small letter, a VN3 letter."""
    return len(_ASCII_UPPER.findall(word)) >= 2 and not _ASCII_LOWER.search(word) and not word.isascii()


def _restore_upper_case(text: str) -> str:
    """Upper-case words and lines typed in an upper-case .VnTimeH font (``ĐIềU`` -> ``ĐIỀU``).

    A line with no ASCII small letter and such a word is upper-cased whole (``Về`` in
    ``QUYếT ĐịNH Về VIệC``); ``Số: 12/QĐ-UBND`` has none and stays as it is.
    """
    lines = []
    for line in text.split("\n"):
        words = _WORD.findall(line)
        if not _ASCII_LOWER.search(line) and any(map(_typed_in_caps, words)):
            lines.append(line.upper())
        else:
            lines.append(
                _WORD.sub(lambda m: m.group(0).upper() if _typed_in_caps(m.group(0)) else m.group(0), line)
            )
    return "\n".join(lines)


def decode_tcvn3(data: bytes) -> str:
    """Decode TCVN3 (ABC) bytes to Unicode; bytes outside the VN3 letters read as Windows-1252."""
    text, _ = codecs.charmap_decode(data, "replace", _TCVN3_TABLE)
    return _restore_upper_case(text)


# --------------------------------------------------------------------------------------------
# Plain-text decoding
# --------------------------------------------------------------------------------------------

#: Frequent Vietnamese syllables, used to score candidate decodings of legacy 8-bit text.
COMMON_SYLLABLES = frozenset(
    """
    của và các được trong người hành chính có là cho với không những một này đã theo thủ tục
    cải cách đơn vị quản lý nhà nước cơ quan công chức cán bộ thực hiện năm ngày tháng số về
    tại để trên đến việc tỉnh huyện xã quy định luật điều khoản nghị quyết kế hoạch báo cáo
    kết quả dịch vụ dân ủy ban phòng sở đồng thời đối tượng hồ sơ giải nội dung trách nhiệm
    chủ tịch tổ triển khai từ khi như phải sự nhằm tiếp tiến hệ thống đảm tăng cường
    """.split()
)
# Latin-1 symbols (¡ … ¿, soft hyphen) that TCVN3 uses for letters: inside words they betray
# TCVN3 text misread as Windows-1258.
_SYMBOL_IN_WORD = re.compile(r"(?<=[^\W\d_])[\u00a1-\u00bf]|[\u00a1-\u00bf](?=[^\W\d_])")
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)


_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_NUCLEI = sorted(
    """a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê ui uô
    uơ uy ưa ưi ươ ưu yê iêu yêu oai oay oao oeo uôi ươi ươu uây uya uyê uyu""".split(),
    key=len,
    reverse=True,
)
_SYLLABLE = re.compile(
    rf"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnprstvx])?(?:{'|'.join(_NUCLEI)})(?:ng|nh|ch|[cmnpt])?"
)
_SCORE_SAMPLE = 200_000


def _is_syllable(word: str) -> bool:
    """A well-formed Vietnamese syllable: onset, vowel nucleus, coda, at most one tone mark."""
    if not (word.islower() or word.isupper() or word.istitle()):
        return False
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(ch in _TONE_MARKS for ch in decomposed) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return _SYLLABLE.fullmatch(bare) is not None


def _syllable_score(text: str) -> int:
    """How Vietnamese a decoding looks: well-formed non-ASCII syllables, common ones counting double.

    ASCII words read the same in every candidate decoding, so they are ignored.
    """
    score = 0
    for word in _WORD.findall(unicodedata.normalize("NFC", text[:_SCORE_SAMPLE])):
        if word.isascii():
            continue
        score += _is_syllable(word) + (word.lower() in COMMON_SYLLABLES)
    return score


def _symbol_noise(text: str) -> int:
    return len(_SYMBOL_IN_WORD.findall(text))


def _bom_encoding(data: bytes) -> tuple[str, str] | None:
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            return codec, label
    return None


def _looks_tcvn3(cp1258_text: str, tcvn3_text: str) -> bool:
    """Decide between the two 8-bit readings; when in doubt, Windows-1258 wins."""
    score_cp, score_tc = _syllable_score(cp1258_text), _syllable_score(tcvn3_text)
    if score_cp != score_tc:
        return score_tc > score_cp
    noise_cp, noise_tc = _symbol_noise(cp1258_text), _symbol_noise(tcvn3_text)
    return noise_cp >= 3 and noise_cp > 2 * noise_tc


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """Bytes that are not valid UTF-8: pick Windows-1258, TCVN3, VNI or UTF-8 with a few bad bytes."""
    cp1258 = data.decode("cp1258", errors="replace")
    tcvn3 = decode_tcvn3(data)
    choice, label = (tcvn3, "tcvn3") if _looks_tcvn3(cp1258, tcvn3) else (cp1258, "cp1258")
    latin = data.decode("cp1252", errors="replace")
    if looks_vni(latin, _syllable_score):
        vni = vni_to_unicode(latin)
        if _syllable_score(vni) > _syllable_score(choice):
            choice, label = vni, "vni"
    utf8 = data.decode("utf-8", errors="replace")
    if utf8.count("\ufffd") <= max(1, len(data) // 200) and _syllable_score(utf8) > _syllable_score(choice):
        log.warning("mostly valid UTF-8 with %d undecodable byte(s)", utf8.count("\ufffd"))
        return utf8, "utf-8"
    return choice, label


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 text saved without a byte order mark: every other byte is NUL for ASCII letters."""
    half = len(data) // 2
    if half < 4:
        return None
    even, odd = data[0:2 * half:2].count(0), data[1:2 * half:2].count(0)
    for zeros, others, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros >= 0.3 * half and others <= 0.02 * half:
            try:
                return data[: 2 * half].decode(codec), codec
            except UnicodeDecodeError:
                return None
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode plain-text bytes; returns ``(text, encoding)``, encoding one of ``utf-8``,
    ``utf-16``, ``utf-32``, ``utf-16-le``/``utf-16-be`` (no BOM), ``cp1258``, ``tcvn3``, ``vni``.
    The text is not yet normalised."""
    bom = _bom_encoding(data)
    if bom is not None:
        codec, label = bom
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            log.warning("invalid %s sequences replaced", label)
            return data.decode(codec, errors="replace"), label
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return _decode_legacy(data)


_SIGNATURES = (
    (b"%PDF-", "a PDF file"),
    (b"PK\x03\x04", "a ZIP package such as .docx/.xlsx"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.doc/.xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "an RTF document"),
)
_MAX_CONTROL_RATIO = 0.05
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")  # controls but \t \n \v \f \r


_MAX_STRAY_NULS = 16  # a few NUL bytes in text are damage, not a binary file
_TEXT_HINT = (
    "; if it is text, save it as UTF-8 (.txt) and add it again "
    "(nếu là văn bản, hãy lưu lại dưới dạng UTF-8 rồi thêm lại)"
)


def _binary_reason(data: bytes) -> str:
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return (
                f"binary content, not text: it looks like {kind}; give it its real extension "
                "(nội dung nhị phân, không phải văn bản; hãy đặt đúng phần mở rộng của tệp)"
            )
    return "binary content, not text (nội dung nhị phân, không phải văn bản)" + _TEXT_HINT


def _reject_binary_bytes(path: Path, data: bytes) -> None:
    if data.startswith((b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise IngestError(path, _binary_reason(data))


def _drop_stray_nuls(path: Path, data: bytes, notices: list[str]) -> bytes:
    """Remove a few NUL bytes from text; many mean a binary file (or UTF-32), refused."""
    nuls = data.count(0)
    if not nuls:
        return data
    if nuls > max(_MAX_STRAY_NULS, len(data) // 1000):
        raise IngestError(
            path,
            f"binary content, not text: it contains {nuls} NUL bytes and is not UTF-16 text"
            + _TEXT_HINT,
        )
    notices.append(f"{nuls} stray NUL byte(s) removed (đã bỏ {nuls} byte NUL lạc)")
    return data.replace(b"\x00", b"")


def _reject_binary_text(path: Path, raw: str, data: bytes) -> None:
    """Reject decoded text that is mostly control or undecodable characters."""
    if not raw:
        return
    bad = len(_NOT_TEXT.findall(raw))
    if bad / len(raw) > _MAX_CONTROL_RATIO:
        raise IngestError(path, _binary_reason(data) + f"; {bad} of {len(raw)} characters are not text")


_ENCODING_NOTICES = {
    "utf-16-le": "UTF-16 text without a byte order mark, read as UTF-16 (little-endian)",
    "utf-16-be": "UTF-16 text without a byte order mark, read as UTF-16 (big-endian)",
    "vni": "VNI-encoded Vietnamese, converted to Unicode (văn bản mã VNI đã được chuyển sang Unicode)",
    "tcvn3": "TCVN3 (ABC) Vietnamese, converted to Unicode (văn bản mã TCVN3 đã được chuyển sang Unicode)",
}


def _read_plain(path: Path, data: bytes, fmt: str) -> SourceText:
    _reject_binary_bytes(path, data)
    notices: list[str] = []
    if _bom_encoding(data) is None and _utf16_without_bom(data) is None:
        data = _drop_stray_nuls(path, data, notices)
    raw, encoding = decode_text(data)
    _reject_binary_text(path, raw, data)
    if encoding in _ENCODING_NOTICES:
        notices.insert(0, _ENCODING_NOTICES[encoding])
    elif encoding != "utf-8":
        log.info("%s: decoded as %s", path.name, encoding)
    return SourceText(path=path, text=normalize_text(raw), format=fmt, encoding=encoding, notices=notices)


def _read_txt(path: Path, data: bytes) -> SourceText:
    return _read_plain(path, data, "txt")


def _read_md(path: Path, data: bytes) -> SourceText:
    return _read_plain(path, data, "md")


# --------------------------------------------------------------------------------------------
# .docx
# --------------------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NOTE_KINDS = ("footnote", "endnote")
# Word elements whose content is not visible body text.
_SKIP = frozenset(
    {
        "pPr", "rPr", "tblPr", "trPr", "tcPr", "sectPr", "del", "moveFrom", "delText",
        "instrText", "delInstrText", "fldData", "footnoteRef", "endnoteRef", "Fallback",
        "annotationRef", "commentReference", "separator", "continuationSeparator",
    }
)  # fmt: skip


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _own(el: etree._Element, tag: str, owner: str) -> list[etree._Element]:
    """Descendants ``tag`` of ``el`` whose nearest ``owner`` ancestor is ``el`` (skips nested tables)."""
    found = []
    for child in el.iter(tag):
        parent = child.getparent()
        while parent is not None and _local(parent) != owner:
            parent = parent.getparent()
        if parent is el:
            found.append(child)
    return found


def _is_on(el: etree._Element | None, w: str) -> bool:
    """A Word on/off property (``<w:vanish/>``, ``w:val="0"`` means off)."""
    return el is not None and el.get(f"{w}val", "true").lower() not in ("0", "false", "off")


class _DocxText:
    """Walks WordprocessingML in document order, numbering footnote references as it goes."""

    def __init__(self, w_ns: str, notes: dict[tuple[str, str], str] | None = None) -> None:
        self.w = f"{{{w_ns}}}"
        self.notes = notes or {}
        self.numbers: dict[tuple[str, str], int] = {}
        self.footnotes: dict[int, str] = {}

    def blocks(self, container: etree._Element) -> list[str]:
        """Block-level content (body, cell, content control) -> one string per paragraph/row."""
        out: list[str] = []
        for child in container:
            tag = _local(child)
            if tag == "p":
                out.append(self.paragraph(child))
            elif tag == "tbl":
                out.extend(self.table(child))
            elif tag in ("sdt", "customXml", "sdtContent", "ins", "moveTo"):
                out.extend(self.blocks(child))
        return out

    def table(self, tbl: etree._Element) -> list[str]:
        """One line per non-empty row, cells separated by `` | ``; nested tables stay in their cell."""
        rows = []
        for tr in _own(tbl, f"{self.w}tr", "tbl"):
            cells = [self.cell(tc) for tc in _own(tr, f"{self.w}tc", "tr")]
            if any(cells):
                rows.append(" | ".join(cells))
        return rows

    def cell(self, tc: etree._Element) -> str:
        parts = (" ".join(b.split()) for b in self.blocks(tc))
        return " ".join(p for p in parts if p)

    def paragraph(self, p: etree._Element) -> str:
        buf: list[str] = []
        self._inline(p, buf)
        return "".join(buf)

    def _inline(self, el: etree._Element, buf: list[str]) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                continue
            qname = etree.QName(child)
            tag = qname.localname
            if tag in _SKIP:
                continue
            if f"{{{qname.namespace}}}" != self.w:  # drawing/markup-compatibility wrappers
                self._inline(child, buf)
            elif tag == "t":
                buf.append(child.text or "")
            elif tag == "r" and _is_on(child.find(f"{self.w}rPr/{self.w}vanish"), self.w):
                continue  # hidden text
            elif tag == "tab":
                buf.append("\t")
            elif tag in ("br", "cr"):
                buf.append("\n")
            elif tag == "noBreakHyphen":
                buf.append("-")
            elif tag in ("footnoteReference", "endnoteReference"):
                buf.append(self._marker(tag[: -len("Reference")], child.get(f"{self.w}id", "")))
            elif tag == "p":  # a paragraph inside a text box
                if buf and not buf[-1].endswith((" ", "\n")):
                    buf.append(" ")
                self._inline(child, buf)
            else:
                self._inline(child, buf)

    def _marker(self, kind: str, note_id: str) -> str:
        key = (kind, note_id)
        if key not in self.numbers:
            number = len(self.numbers) + 1
            self.numbers[key] = number
            if key not in self.notes:
                log.warning("%s reference w:id=%s has no text", kind, note_id)
            self.footnotes[number] = self.notes.get(key, "")
        return to_superscript(self.numbers[key])


class _PartTooLarge(Exception):
    """A .docx part that decompresses past :data:`ingest.limits.MAX_DOCX_PART_BYTES`."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(name)
        self.name, self.size = name, size


def _read_part(zf: zipfile.ZipFile, name: str) -> bytes:
    """One part's bytes, never more than the limit: the declared size is checked first and the
    read is bounded too (a zip's declared size can lie; zipfile then fails its CRC check)."""
    info = zf.getinfo(name)
    if info.file_size > limits.MAX_DOCX_PART_BYTES:
        raise _PartTooLarge(name, info.file_size)
    with zf.open(info) as part:
        data = part.read(limits.MAX_DOCX_PART_BYTES + 1)
    if len(data) > limits.MAX_DOCX_PART_BYTES:
        raise _PartTooLarge(name, len(data))
    return data


def _zip_xml(zf: zipfile.ZipFile, name: str) -> etree._Element:
    """Parse one XML part safely: no entity expansion, no network (a new parser: thread-safe)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    return etree.fromstring(_read_part(zf, name), parser)


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship type suffix (``officeDocument``, ``footnotes``) -> part name in the zip."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
    if rels_name not in zf.namelist():
        return {}
    out: dict[str, str] = {}
    for rel in _zip_xml(zf, rels_name):
        target, rtype = rel.get("Target", ""), rel.get("Type", "")
        if not target or rel.get("TargetMode") == "External":
            continue
        name = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        out.setdefault(rtype.rsplit("/", 1)[-1], name)
    return out


def _read_notes(zf: zipfile.ZipFile, part: str | None, kind: str, w_ns: str) -> dict[tuple[str, str], str]:
    """Foot/endnote texts by ``(kind, w:id)``, skipping separator notes."""
    if not part or part not in zf.namelist():
        return {}
    w = f"{{{w_ns}}}"
    walker = _DocxText(w_ns)
    notes = {}
    for note in _zip_xml(zf, part).iter(f"{w}{kind}"):
        if note.get(f"{w}type", "normal") != "normal":
            continue
        paras = (" ".join(normalize_text(b).split()) for b in walker.blocks(note))
        notes[(kind, note.get(f"{w}id", ""))] = " ".join(p for p in paras if p)
    return notes


def _open_docx(path: Path, data: bytes) -> zipfile.ZipFile:
    if data.startswith(_OLE_MAGIC):
        raise IngestError(
            path,
            "not a .docx (Office Open XML) file: it is an old Word 97-2003 .doc or a password-protected "
            "document; save it as .docx without a password (tệp .doc cũ hoặc có mật khẩu)",
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise IngestError(
            path,
            "corrupt .docx: not a ZIP package (the file is damaged or misnamed); open it in Word and "
            "save it again as .docx (tệp .docx bị hỏng; hãy mở bằng Word và lưu lại dưới dạng .docx)",
        ) from exc
    if len(zf.infolist()) > limits.MAX_DOCX_PARTS:
        zf.close()
        raise IngestError(
            path,
            f"not a normal Word document: the package holds {len(zf.infolist()):,} parts (a document "
            f"has at most a few hundred; the limit is {limits.MAX_DOCX_PARTS:,}); open it in Word and save "
            "it again (tệp .docx bất thường: quá nhiều thành phần; hãy mở bằng Word và lưu lại)",
        )
    return zf


def _xml_problem(path: Path, exc: etree.XMLSyntaxError) -> IngestError:
    """A parser error said plainly: no libxml2 wording such as 'try XML_PARSE_HUGE'."""
    text = str(exc)
    if "huge" in text.lower() or "excessive depth" in text.lower():
        reason = (
            "not a normal Word document: its text holds a single run larger than 10 MB or is nested "
            "too deeply; open it in Word and save it again, or split it (tệp .docx bất thường: một đoạn "
            "văn bản quá lớn hoặc lồng quá sâu; hãy mở bằng Word, lưu lại hoặc chia nhỏ tệp)"
        )
    else:
        line = getattr(exc, "lineno", None)
        where = f" near line {line}" if line else ""
        reason = (
            f"corrupt .docx: its XML is damaged{where}; open it in Word and save it again "
            "(tệp .docx bị hỏng; hãy mở bằng Word và lưu lại)"
        )
    return IngestError(path, reason)


def _read_docx(path: Path, data: bytes) -> SourceText:
    with _open_docx(path, data) as zf:
        try:
            main = _rels(zf, "").get("officeDocument", "word/document.xml")
            if main not in zf.namelist():
                raise IngestError(
                    path,
                    f"corrupt .docx: the package has no main document part ({main}); open it in Word and "
                    "save it again (tệp .docx bị hỏng: thiếu nội dung chính)",
                )
            root = _zip_xml(zf, main)
            w_ns = etree.QName(root).namespace or ""
            part_rels = _rels(zf, main)
            notes: dict[tuple[str, str], str] = {}
            for kind in _NOTE_KINDS:
                notes.update(_read_notes(zf, part_rels.get(f"{kind}s"), kind, w_ns))
        except _PartTooLarge as exc:
            raise IngestError(
                path,
                f"not a normal Word document: its part {exc.name} unpacks to {exc.size / 2**20:,.0f} MB, more "
                f"than the {limits.MAX_DOCX_PART_BYTES // 2**20} MB a document's text may take (a 'zip bomb' "
                "or a damaged file); open it in Word and save it again, or split it (tệp .docx bất thường: "
                "giải nén quá lớn; hãy mở bằng Word và lưu lại hoặc chia nhỏ tệp)",
            ) from None
        except etree.XMLSyntaxError as exc:
            raise _xml_problem(path, exc) from None
        except (zipfile.BadZipFile, EOFError, OSError, KeyError) as exc:
            raise IngestError(
                path,
                f"corrupt .docx: the ZIP package is damaged ({type(exc).__name__}); open it in Word and "
                "save it again (tệp .docx bị hỏng; hãy mở bằng Word và lưu lại)",
            ) from exc
    body = root.find(f"{{{w_ns}}}body")
    if body is None:
        raise IngestError(
            path, "corrupt .docx: the main document has no body; open it in Word and save it again "
            "(tệp .docx bị hỏng: không có phần thân)"
        )
    walker = _DocxText(w_ns, notes)
    paragraphs = [normalize_text(b).strip() for b in walker.blocks(body)]
    text = "\n\n".join(p for p in paragraphs if p)
    return SourceText(path=path, text=text, format="docx", footnotes=walker.footnotes, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# .pdf
# --------------------------------------------------------------------------------------------

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})


_PDF_AGAIN = (
    "open it and save or print it again as PDF (hãy mở tệp và lưu hoặc in lại thành PDF)"
)


def _open_pdf(path: Path, data: bytes) -> PdfReader:
    if b"%PDF-" not in data[:1024]:
        raise IngestError(
            path, "not a PDF file (no %PDF header): corrupt or misnamed; give it its real extension "
            "(tệp PDF bị hỏng hoặc đặt sai phần mở rộng)"
        )
    if b"%%EOF" not in data[-8192:]:
        raise IngestError(
            path, "corrupt PDF: the file is truncated (no end-of-file marker); copy or download it again "
            "(tệp PDF bị cắt cụt; hãy sao chép hoặc tải lại)"
        )
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:
        raise IngestError(path, f"corrupt PDF ({type(exc).__name__}); {_PDF_AGAIN}") from exc
    if reader.is_encrypted:
        try:
            unlocked = bool(reader.decrypt(""))  # many PDFs only restrict printing/copying
        except Exception as exc:
            raise IngestError(
                path, "encrypted PDF that cannot be decrypted; save a copy without a password "
                "(tệp PDF được mã hoá; hãy lưu một bản không mật khẩu)"
            ) from exc
        if not unlocked:
            raise IngestError(
                path, "encrypted PDF: it needs a password to open; save a copy without a password "
                "(tệp PDF có mật khẩu; hãy lưu một bản không mật khẩu)"
            )
    return reader


def _page_texts(path: Path, pages: Iterable[PageObject]) -> tuple[list[str], int]:
    """Text of each page ('' where extraction failed) and the number of failed pages.

    Stops once the text passes :data:`ingest.limits.MAX_TEXT_CHARS` (the caller refuses it).
    """
    texts, failed, total = [], 0, 0
    for number, page in enumerate(pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception as exc:
            failed += 1
            log.warning("%s: page %d: text extraction failed (%s)", path.name, number, exc)
            texts.append("")
        total += len(texts[-1])
        if total > limits.MAX_TEXT_CHARS:
            break
    return texts, failed


def _read_pdf(path: Path, data: bytes) -> SourceText:
    reader = _open_pdf(path, data)
    try:
        pages = list(reader.pages)
    except Exception as exc:
        raise IngestError(path, f"corrupt PDF: cannot read the page tree; {_PDF_AGAIN}") from exc
    if len(pages) > limits.MAX_PDF_PAGES:
        count, limit = f"{len(pages):,}", f"{limits.MAX_PDF_PAGES:,}"
        raise IngestError(
            path,
            f"the PDF has {count} pages, more than the {limit} one document may have; split it into smaller "
            f"files (tệp PDF có {count.replace(',', '.')} trang, vượt quá giới hạn {limit.replace(',', '.')} "
            "trang; hãy chia nhỏ tệp)",
        )
    texts, failed = _page_texts(path, pages)
    text = normalize_text("\n\n".join(t.strip("\n") for t in texts).translate(_LIGATURES))
    if not text.strip():
        if pages and failed == len(pages):
            raise IngestError(path, f"corrupt PDF: text could not be extracted from any page; {_PDF_AGAIN}")
        raise IngestError(
            path,
            f"the PDF has no text layer ({len(pages)} page(s), probably scanned images); OCR is not "
            "supported: add a PDF with a text layer or the .docx (PDF dạng ảnh quét, không hỗ trợ nhận "
            "dạng ký tự; hãy dùng bản PDF có lớp văn bản hoặc tệp .docx)",
        )
    return SourceText(path=path, text=text, format="pdf", encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------

_READERS: dict[str, Callable[[Path, bytes], SourceText]] = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
}


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, after checking it is a readable regular file of a sensible size."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise IngestError(
            path, "file not found; check the path (không tìm thấy tệp; hãy kiểm tra đường dẫn)"
        ) from None
    except PermissionError:
        raise IngestError(path, _NO_PERMISSION) from None
    except OSError as exc:
        raise IngestError(path, f"cannot open the file ({exc.strerror or exc}) (không mở được tệp)") from None
    if not stat.S_ISREG(info.st_mode):
        raise IngestError(
            path, f"not a regular file (it is {file_kind(info.st_mode)}); add the document file itself "
            "(không phải tệp thông thường; hãy thêm chính tệp văn bản)"
        )
    if info.st_size > limits.MAX_FILE_BYTES:
        raise IngestError(
            path,
            f"the file is {info.st_size / 2**20:,.0f} MB, more than the {limits.MAX_FILE_BYTES // 2**20} MB "
            "a document may have; split it into smaller files (tệp quá lớn; hãy chia nhỏ tệp)",
        )
    try:
        data = path.read_bytes()
    except PermissionError:
        raise IngestError(path, _NO_PERMISSION) from None
    except OSError as exc:
        raise IngestError(path, f"cannot read the file ({exc.strerror or exc}) (không đọc được tệp)") from None
    if not data:
        raise IngestError(path, "the file is empty (0 bytes) (tệp rỗng)")
    return data


_NO_PERMISSION = (
    "permission denied: this account may not read the file; ask its owner for read access or copy it "
    "to a folder you can read (không có quyền đọc tệp; hãy xin quyền đọc hoặc sao chép tệp sang thư mục khác)"
)


def _convert_vni(source: SourceText) -> None:
    """Unicode text still in a VNI font (a .docx or UTF-8 file typed with VNI-Times) is converted."""
    whole = "\n".join([source.text, *source.footnotes.values()])
    if not looks_vni(whole, _syllable_score):
        return
    source.text = normalize_text(vni_to_unicode(source.text))
    source.footnotes = {n: normalize_text(vni_to_unicode(t)) for n, t in source.footnotes.items()}
    source.encoding = f"vni ({source.encoding})"
    source.notices.insert(0, _ENCODING_NOTICES["vni"])


_LONG_RUN = re.compile(rf"\S{{{limits.MAX_WORD_CHARS + 1},}}")


def _cut_long_runs(source: SourceText) -> None:
    """Cut runs of characters without a space that no word is (base64 images, junk, one huge token)."""
    runs = 0

    def cut(m: re.Match[str]) -> str:
        nonlocal runs
        runs += 1
        return m.group()[: limits.KEPT_WORD_CHARS] + "…"

    source.text = _LONG_RUN.sub(cut, source.text)
    source.footnotes = {n: _LONG_RUN.sub(cut, t) for n, t in source.footnotes.items()}
    if runs:
        source.notices.append(
            f"{runs} run(s) of more than {limits.MAX_WORD_CHARS} characters without a space cut "
            f"(đã cắt {runs} chuỗi ký tự quá dài không có khoảng trắng)"
        )


def _check_size(source: SourceText) -> None:
    if len(source.text) > limits.MAX_TEXT_CHARS:
        millions = len(source.text) / 1e6
        raise IngestError(
            source.path,
            f"the file holds {millions:,.1f} million characters of text, more than the "
            f"{limits.MAX_TEXT_CHARS / 1e6:,.0f} million one document may have; split it into smaller files "
            f"(tệp có quá nhiều văn bản; hãy chia nhỏ tệp)",
        )


def read_source(path: Path) -> SourceText:
    """Read one .txt/.md/.docx/.pdf file; raises :class:`IngestError` for anything unreadable."""
    path = Path(path)
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        shown = f"'{path.suffix}'" if path.suffix else "(no extension)"
        raise IngestError(
            path,
            f"unsupported file type {shown}; supported: {', '.join(SUPPORTED_SUFFIXES)}; convert it to one "
            "of these (định dạng tệp không được hỗ trợ; hãy chuyển sang một trong các định dạng trên)",
        )
    data = _read_bytes(path)
    try:
        source = reader(path, data)
    except IngestError:
        raise
    except Exception as exc:  # a library failed on a damaged file: report it, never a traceback
        log.debug("%s: reader failed", path.name, exc_info=True)
        raise IngestError(
            path,
            f"cannot read the {suffix} file, it may be corrupt ({type(exc).__name__}); open it and save it "
            "again (không đọc được tệp, có thể tệp bị hỏng; hãy mở và lưu lại)",
        ) from exc
    _check_size(source)
    if source.encoding not in ("vni", "tcvn3"):
        _convert_vni(source)
    _cut_long_runs(source)
    if not source.text.strip():
        raise IngestError(path, "the file contains no text, only whitespace (tệp không có nội dung)")
    for notice in source.notices:
        log.warning("%s: %s", path.name, notice)
    return source
