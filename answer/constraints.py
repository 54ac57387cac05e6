"""Hard constraints a passage must meet to answer a question: its years, numbers and names."""

from __future__ import annotations

import re
import unicodedata

from index.lexical import normalise

_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_DOCNUM = re.compile(r"\d+(?:/\d{4})?[/-][a-zđ][\wđ&.]*(?:[-/][\wđ&.]+)*")
_ARTICLE = re.compile(r"\bđiều\s+(\d+[a-zđ]?)\b")
_GENERIC_ACRONYMS = {
    "CCHC", "TTHC", "UBND", "HĐND", "QPPL", "CBCC", "CNTT", "BNV", "CBCCVC", "VBQPPL", "HCNN", "ĐVHC",
}
_GENERIC_NAMES = {
    "chính phủ", "bộ nội vụ", "quốc hội", "ủy ban", "uỷ ban", "nhà nước", "thủ tướng", "trung ương",
    "bộ trưởng", "chủ tịch", "nghị định", "quyết định", "việt nam", "hội đồng",
}


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def proper_names(text: str) -> list[str]:
    """Runs of two or more capitalised words, not counting a sentence's first word."""
    names: list[str] = []
    run: list[str] = []
    words = re.findall(r"[\w]+|[^\w\s]", text)
    for i, word in enumerate(words):
        first = i == 0 or words[i - 1] in ".?!:;"
        if word[:1].isupper() and word.isalpha() and not first and not word.isupper():
            run.append(word)
            continue
        if len(run) >= 2:
            names.append(" ".join(run))
        run = []
    if len(run) >= 2:
        names.append(" ".join(run))
    return names


def required_terms(question: str) -> list[str]:
    """Terms the answering passage (or its document) must contain: years, numbers, names."""
    key = normalise(question)
    terms = [m.group() for m in _YEAR.finditer(key)]
    terms += [m.group().rstrip(".,;:") for m in _DOCNUM.finditer(key)]
    terms += [f"điều {m}" for m in _ARTICLE.findall(key)]
    for word in re.findall(r"\b[A-ZĐ]{3,}\b", question):
        if word not in _GENERIC_ACRONYMS:
            terms.append(word.lower())
    for name in proper_names(question):
        key_name = normalise(name)
        if not any(g in key_name or key_name in g for g in _GENERIC_NAMES):
            terms.append(key_name)
    return list(dict.fromkeys(terms))


def missing_terms(question: str, context: str, nearby: str = "") -> list[str]:
    """The required terms of ``question`` absent from ``context`` (accent-insensitive for names).

    Names and acronyms may also be found in ``nearby`` text (the passages around: a news item
    names the minister once, then says "Bộ trưởng"); years and numbers must be in ``context``.
    """
    ctx = normalise(context)
    ctx_plain = strip_accents(ctx).replace("-", " ")
    near_plain = strip_accents(normalise(nearby)).replace("-", " ")
    missing = []
    for term in required_terms(question):
        if term in ctx:
            continue
        if not re.search(r"\d", term) and (strip_accents(term) in ctx_plain or strip_accents(term) in near_plain):
            continue
        if term.isalpha() and " " not in term and _spelled_out(strip_accents(term), ctx_plain):
            continue  # THCS written out: "trung học cơ sở"
        missing.append(term)
    return missing


def _spelled_out(acronym: str, plain_context: str) -> bool:
    """True if words of ``plain_context`` (accents stripped) spell ``acronym`` by their initials."""
    if not 4 <= len(acronym) <= 8:
        return False
    words = re.findall(r"\w+", plain_context)
    initials = "".join(w[0] for w in words)
    return acronym in initials


_ASKED_UNIT = re.compile(
    r"bao nhiêu\s+(?P<unit>tỷ đồng|triệu đồng|đồng|tuổi|điểm|phần trăm|ngày|tháng|năm|giờ|phút|lần)\b"
)


def asked_unit(question: str) -> str | None:
    """The unit a "bao nhiêu …" question asks for (``đồng``, ``tuổi``, ``%``), if any."""
    m = _ASKED_UNIT.search(normalise(question))
    if not m:
        return None
    unit = m.group("unit")
    return "%" if unit == "phần trăm" else unit


def has_figure_with_unit(text: str, unit: str) -> bool:
    """True if ``text`` holds a number followed (closely) by ``unit``."""
    pattern = rf"\d[\d.,]*\s*(?:\([^)]{{0,30}}\)\s*)?{re.escape(unit)}(?!\w)"
    return re.search(pattern, normalise(text)) is not None


def _facets(pattern: re.Pattern[str], text: str) -> set[str]:
    """The values of ``pattern`` in ``text``; "503/2003 TTHC" is a ratio, not the year 2003."""
    out = set()
    for m in pattern.finditer(text):
        over = re.search(r"(\d+)/$", text[: m.start()])
        if over and int(over.group(1)) > 12:
            continue
        out.add(m.group(1))
    return out


def _facet_conflict(pattern: re.Pattern[str], question: str, context: str) -> bool:
    asked = _facets(pattern, normalise(question))
    if not asked:
        return False
    named = _facets(pattern, normalise(context))
    return bool(named) and not (asked & named)


def conflicting_facets(question: str, sentence: str, section: str = "") -> bool:
    """True when the sentence speaks of another year, or another level of government.

    "PAPI năm 2018?" is not answered by "PAPI năm 2019 … đạt 46,04 điểm"; a question about
    "UBND cấp tỉnh" is not answered by a procedure of "cấp xã". A year inside a document
    number (``116/2024/NĐ-CP``) is not a year the sentence speaks of.
    """
    return _facet_conflict(_YEAR_FULL, question, sentence) or _facet_conflict(
        _LEVEL, question, f"{section}\n{sentence}"
    )


_YEAR_FULL = re.compile(r"\b((?:19|20)\d{2})\b(?!/[^\W\d_])")
_LEVEL = re.compile(r"\bcấp (tỉnh|huyện|xã|trung ương)\b")


_ASK_WORD = re.compile(r"\b(bao nhiêu|mấy)\b")
_MEASURE_HEAD = re.compile(r"\b(mức|tổng số|số lượng|số|tỷ lệ|tỉ lệ|chỉ số|xếp hạng|xếp|thời hạn|thời gian)\b")
_PHRASE_STOP = {
    "và", "của", "cuả", "trong", "tại", "được", "đã", "là", "theo", "cho", "với", "từ", "trên", "khi", "mà",
    "so", "đối", "để", "do", "ở", "vào", "thì", "có", "không", "hiện", "nay", "năm", "sau", "trước", "đến",
    "áp", "dụng", "các", "những", "một", "mỗi", "cả", "thành", "bao", "mấy", "nhiêu", "đạt", "chiếm", "còn",
}
_UNIT_WORDS = {
    "phần", "trăm", "đồng", "tỷ", "triệu", "ngày", "tháng", "năm", "giờ", "phút", "lần", "điểm", "tuổi",
    "người", "km", "ha",
}


def asked_measure(question: str) -> list[str]:
    """The words naming what a "bao nhiêu / mấy" question counts or measures.

    "bao nhiêu thí sinh trúng tuyển" → thí sinh trúng tuyển; "mức phạt tiền … bao nhiêu" →
    mức phạt tiền; "xếp thứ mấy" → xếp thứ. Units (đồng, ngày, phần trăm) are not the measure.
    """
    key = normalise(question)
    m = _ASK_WORD.search(key)
    if not m:
        return []
    after = []
    for word in re.findall(r"\w+|[^\w\s]", key[m.end() :]):
        if not word[0].isalnum() or word in _PHRASE_STOP:
            break
        after.append(word)
    after = [w for w in after if w not in _UNIT_WORDS]
    if after:
        return after
    before = key[: m.start()]
    heads = list(_MEASURE_HEAD.finditer(before))
    if not heads:
        return []
    head = heads[-1]
    words = [head.group()]
    for word in re.findall(r"\w+|[^\w\s]", before[head.end() :]):
        if not word[0].isalnum() or word in _PHRASE_STOP or len(words) >= 4:
            break
        words.append(word)
    return [w for part in words for w in part.split() if w not in _UNIT_WORDS]


_GENERIC_MEASURE = {"mức", "số", "lượng", "tổng", "tỷ", "tỉ", "lệ"}
_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


def _fold_iy(word: str) -> str:
    """lí = lý, kĩ = kỹ: a final y after a consonant is written i by many."""
    m = re.match(r"^([bcdđghklmnpqrstvx]+)([yýỳỷỹỵ])$", word)
    return m.group(1) + m.group(2).translate(_Y_TO_I) if m else word


def measure_missing(question: str, context: str) -> list[str]:
    """Words of the asked measure absent from ``context`` (case-insensitive, accents kept).

    Common acronyms count as written out and the other way round: "văn bản quy phạm pháp
    luật" is found as "văn bản QPPL", "TTHC" need not be repeated; so do "mức", "số lượng",
    "tỷ lệ" (what is counted matters, not how the question names the count) and lí = lý.
    """
    ctx = {_fold_iy(w) for w in re.findall(r"\w+", normalise(context))}
    initials = {strip_accents(w) for w in ctx}
    words = [
        w for w in asked_measure(question) if w.upper() not in _GENERIC_ACRONYMS and w not in _GENERIC_MEASURE
    ]
    found = [_fold_iy(w) in ctx for w in words]  # with accents: "tiền" is not "tiên"
    plain = [strip_accents(w) for w in words]
    for a in range(len(plain)):
        for b in range(a + 2, len(plain) + 1):
            if "".join(w[0] for w in plain[a:b]) in initials:
                found[a:b] = [True] * (b - a)
    return [w for w, ok in zip(words, found) if not ok]


_ASPECT = re.compile(r"\bvề (?P<aspect>[\wà-ỹđ ]{2,40}?) (?:như thế nào|thế nào|ra sao|là gì|gồm những gì)")


def asked_aspect(question: str) -> list[str]:
    """The words of "điều kiện về <độ tuổi> như thế nào": the side of the matter asked about."""
    m = _ASPECT.search(normalise(question))
    if not m:
        return []
    return [w for w in m.group("aspect").split() if w not in _PHRASE_STOP]
