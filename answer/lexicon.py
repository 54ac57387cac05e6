"""The words the answering layer knows: how questions ask, and what answers hold.

Every word list and pattern about Vietnamese questions and answers lives here, so the
question is read in one place (:mod:`answer.analysis`) and candidates are described with
the same vocabulary (:mod:`answer.features`). Patterns work on :func:`index.lexical.normalise`
text (lower case, NFC, tone placement folded).
"""

from __future__ import annotations

import re

from ingest.references import DOC_TYPES

_DOC_TYPE = "|".join(t.lower() for t in DOC_TYPES) + "|tờ trình|điều|khoản"

# --- how a question asks --------------------------------------------------------------

# Words that ask rather than name what is asked about; they carry no content to match.
ASKING_WORDS = frozenset(
    "bao nhiêu nào thế như gì lâu mấy sao khi đâu ai thì và là có không được của cuả các những cho với "
    "đã ở tại trong theo hay phải hãy cho biết nêu".split()
)

# Ordered: the first kind whose cue matches wins.
KIND_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("reference", re.compile(
        rf"(?<!kỷ )(?:{_DOC_TYPE}) (?:số )?(?:nào|gì|mấy)\b|văn bản nào|căn cứ (?:vào )?(?:đâu|gì|nào)|số hiệu|"
        rf"(?:theo|bằng|tại|qua|là) (?:văn bản|{_DOC_TYPE}) nào|cơ sở pháp lý|căn cứ pháp lý"
    )),
    ("date", re.compile(
        r"\b(?:khi nào|bao giờ|lúc nào|hồi nào|ngày nào|ngày bao nhiêu|ngày mấy|thời điểm nào|năm nào|tháng nào|quý nào|"
        r"(?:vào|trong|từ) thời gian nào|từ ngày|vào ngày|kể từ (?:ngày|khi) nào|hạn chót|thời hạn cuối)\b"
    )),
    ("figure", re.compile(
        r"\b(?:bao nhiêu|mấy|bao lâu|tỷ lệ|tỉ lệ|số lượng|phần trăm|xếp hạng|thứ hạng|xếp thứ|"
        r"tổng số|bao xa)\b"
    )),
    ("list", re.compile(
        r"\b(?:những|các) [^?]{1,60}?\b(?:nào|gì)\b|\b(?:gồm|bao gồm) (?:những )?(?:gì|nào|các)|"
        r"\bnhững gì\b|\bliệt kê\b|\bkể tên\b|^(?:nêu|kể|cho biết) (?:các|những|một số)\b"
    )),
    ("agent", re.compile(
        r"\b(?:ai|người nào|cơ quan nào|đơn vị nào|cấp nào|bộ nào|tổ chức nào|chủ thể nào|"
        r"do ai|thuộc về ai|thẩm quyền của ai)\b"
    )),
    ("definition", re.compile(
        r"\b(?:là gì|được hiểu (?:là|như thế nào)|nghĩa là|khái niệm|thế nào là|hiểu thế nào|định nghĩa)\b"
    )),
    ("yesno", re.compile(r"\b(?:có phải|đúng hay sai|đúng không|hay không|được không|không\s*\??$)")),
)
# "những … nào", "gồm những gì": the question asks for a list's items, whatever else decides its kind
LIST_CUE = dict(KIND_CUES)["list"]

# "bao nhiêu / mấy <counted>": the words after the asking word name what is counted.
COUNT_ASK = re.compile(r"\b(?:bao nhiêu|mấy)\b")
# "ngày nào", "năm mấy", "hạn chót": a calendar day, month or year is asked (not "khi nào", which
# in a law often asks in what case)
CALENDAR_ASK = re.compile(r"\b(?:ngày|tháng|năm|quý) (?:nào|mấy|bao nhiêu)\b|\bhạn chót\b|\bthời hạn cuối\b")
DURATION_ASK = re.compile(r"\b(?:bao lâu|thời hạn|thời gian)\b")
TIME_UNITS = frozenset({"ngày", "tháng", "năm", "giờ", "phút", "tuần", "quý"})
UNITS = TIME_UNITS | frozenset({"phần", "trăm", "%", "đồng", "tỷ", "triệu", "nghìn", "lần", "điểm", "tuổi", "km", "ha"})
# Words that end the phrase naming what is counted.
PHRASE_END = frozenset(
    "và của cuả trong tại được đã là theo cho với từ trên khi mà so đối để do ở vào thì có không hiện nay "
    "sau trước đến áp dụng các những một mỗi cả thành bao mấy nhiêu đạt chiếm còn".split()
)
MEASURE_HEADS = re.compile(
    r"\b(?:mức|tổng số|số lượng|số|tỷ lệ|tỉ lệ|chỉ số|xếp hạng|xếp|thời hạn|thời gian|độ tuổi|điểm)\b"
)
ASPECT = re.compile(r"\bvề (?P<aspect>[\wà-ỹđ ]{2,40}?) (?:như thế nào|thế nào|ra sao|là gì|gồm những gì)")

# --- what a question pins exactly ------------------------------------------------------

YEAR = re.compile(r"\b((?:19|20)\d{2})\b(?!/[^\W\d_])")
# A day's date ("18/02/2020", "ngày 30 tháng 6 năm 2025"): the year in it is when something was done.
DAY_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b|\bngày \d{1,2} tháng \d{1,2} năm (?:19|20)\d{2}\b")
DOC_NUMBER = re.compile(r"\d+(?:/\d{4})?[/-][a-zđ][\wđ&.]*(?:[-/][\wđ&.]+)*")
ARTICLE = re.compile(r"\bđiều\s+(\d+[a-zđ]?)\b")
ARTICLE_LABEL = re.compile(r"Điều\s+\d+[a-zđ]?\.?")  # an article's bare label, as written
# An article's label ending the text before a title the sentence splitter left apart, also in
# an article an amending text quotes (“Điều 35a. | Kiểm tra …)
LABEL_BEFORE = re.compile(r"(?:^|\n)[“\"]?Điều\s+\d+[a-zđ]?\.\s*$")
LEVEL = re.compile(r"\bcấp (tỉnh|huyện|xã|trung ương)\b")
GENERIC_ACRONYMS = frozenset(
    "CCHC TTHC UBND HĐND QPPL CBCC CNTT BNV CBCCVC VBQPPL HCNN ĐVHC".split()
)
DOC_TYPE_START = re.compile(rf"^(?:{_DOC_TYPE})\b")
GENERIC_NAMES = (
    "chính phủ", "bộ nội vụ", "quốc hội", "ủy ban", "uỷ ban", "nhà nước", "thủ tướng", "trung ương",
    "bộ trưởng", "chủ tịch", "nghị định", "quyết định", "việt nam", "hội đồng",
)

# --- what an answer holds --------------------------------------------------------------

NUMBER = re.compile(r"(?<![\w/])\d+(?:[.,]\d+)*(?:\s*\([^)]{1,30}\))?")
DATE = re.compile(
    r"\d{1,2}/\d{1,2}/\d{4}|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?|tháng\s+\d{1,2}(?:/\d{4}|\s+năm\s+\d{4})|"
    r"\b\d{1,2}/\d{4}\b|năm\s+\d{4}|quý\s+[ivx]+|ngày ký|ngày ban hành"
)
# Digits that are not a figure: a day's date, a document's number ("Kế hoạch số 1520/KH-UBND ngày 12/4/2020"),
# a reference to a part of a text ("khoản 1 Điều 2", "Mẫu số 01")
NOT_FIGURE = re.compile(
    r"\b\d{1,2}/\d{1,2}/\d{4}\b|\bngày \d{1,2}/\d{1,2}\b|\bngày \d{1,2} tháng \d{1,2}(?: năm \d{4})?|"
    r"\b(?:điều|khoản|chương|mục|phụ lục|mẫu)(?: số)? \d+[a-zđ]?\b|" + DOC_NUMBER.pattern
)
# "xếp thứ mấy", "đứng thứ bao nhiêu": a rank is asked, and only a rank answers it ("xếp hạng 25/63", "thứ 9")
RANK_ASK = re.compile(r"\b(?:xếp|đứng|xếp hạng) thứ (?:mấy|bao nhiêu)\b|\b(?:xếp hạng|thứ hạng|hạng) (?:mấy|bao nhiêu)\b")
RANK = re.compile(r"\b(?:thứ|hạng)\s+\d+(?:/\d+)?|\b\d+/\d+(?=\s+(?:tỉnh|bộ|huyện|xã|địa phương|đơn vị))")
# "báo cáo … số mấy", "điều mấy": a document's (or a part's) number is asked, not a figure
ASKS_NUMBER = re.compile(r"\b(?:số|điều|khoản|chương|mục|phụ lục|mẫu) (?:số )?(?:mấy|bao nhiêu|hiệu|nào|gì)\b")
DURATION = re.compile(r"\d+(?:[.,]\d+)?\s*(?:\([^)]{1,20}\)\s*)?(?:ngày|tháng|năm|giờ|phút|tuần|quý)\b")
PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s*%")
AGENT = re.compile(
    r"\b(?:bộ|sở|ủy ban|uỷ ban|ubnd|chủ tịch|bộ trưởng|thủ trưởng|người đứng đầu|cơ quan|hội đồng|"
    r"văn phòng|thanh tra|chính phủ|thủ tướng|giám đốc|cấp có thẩm quyền)\b"
)
# "1. “Thủ tục hành chính” là …", "b) Vi phạm gây hậu quả nghiêm trọng là …": the term a sentence defines
DEFINED_TERM = re.compile(
    r"^(?:\d+\.\s*|[a-zđ]\)\s*)?[“\"]?([^”\":]{2,80}?)[”\"]?\s*(?:\([^)]*\)\s*)?(?:là|được hiểu là)\b"
)
FOOTNOTE_MARKER = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]")
EFFECT_CLAUSE = re.compile(
    r"^(?:điều \d+[a-zđ]?\.\s*)?(?:\d+\.\s*)?(?:luật|nghị định|quyết định|thông tư|chỉ thị|nghị quyết|kế hoạch|"
    r"pháp lệnh|văn bản) này có hiệu lực"
)
ASKS_EFFECT = re.compile(
    r"(?:có|bắt đầu có|phát sinh) hiệu lực.*(?:ngày nào|khi nào|bao giờ|lúc nào|thời điểm nào|từ ngày|kể từ)"
)
ASKS_ISSUE = re.compile(
    r"(?:(?:ban hành|được ký|ký|thông qua)(?: ban hành)?(?: vào)? (?:ngày nào|ngày bao nhiêu|khi nào|bao giờ|lúc nào|hôm nào)|"
    r"ngày (?:ban hành|ký)(?: là)? (?:ngày )?(?:nào|bao nhiêu|khi nào))"
)
# who signed: "ai ký …", "ai là người đặt bút ký …", "người ký …", "… ký, là ai" ("đăng ký" is not signing)
ASKS_SIGNER = re.compile(
    r"(?<!\w)(?:ai|người nào|vị nào)(?: là người| đã)?(?: đặt bút)? ký(?!\w)|(?<!\w)người (?:đặt bút )?ký(?!\w)|"
    r"(?<!\w)(?:ai|người nào|vị nào) thay mặt .{1,80}?(?<!đăng )(?<!\w)ký(?!\w)(?!\s+(?:ngày|khi|vào|năm|thời|kết|hợp))|"  # "Ai thay mặt Bộ trưởng ký …"
    r"(?<!đăng )(?<!\w)ký(?!\w).{0,80}(?:là ai|bởi ai)(?!\w)|"
    # "Ai là người đứng tên ký …", "Lãnh đạo nào của Bộ Nội vụ ký …" (not "… ký ngày nào", and not
    # who may sign: "Ai có thẩm quyền ký …")
    r"(?<!\w)(?:ai|\w+ nào)(?:\s+(?!(?:ký|có|được|phải|quyền|thẩm|trách)\b)[\w/.-]+){0,6}\s+(?<!đăng )ký(?!\w)"
    r"(?!\s+(?:ngày|khi|vào|năm|thời|kết|hợp))"
)
# numbers Vietnamese texts write in words ("quá hai lần", "mười lăm ngày")
NUMBER_WORD = r"(?:một|hai|ba|bốn|tư|năm|sáu|bảy|tám|chín|mười|mươi|lăm|trăm|nghìn|ngàn|triệu|tỷ)"
ADOPTED = re.compile(r"này (?:đã )?được .{0,160}thông qua ngày \d")
LABELLED_LINE = re.compile(r"^(?:[a-zđ]\)|[-+]|\d+\.)?\s*(?P<label>[^:;.]{3,60}):")
# List structure: items, a clause of an article, a lead-in announcing a list.
ITEM = re.compile(r"^(?:[a-zđ]\)|[-+•])\s*")
CLAUSE = re.compile(r"^\d+\.\s")
# A question that asks several things: each part has its own asking word ("… ban hành ngày nào,
# có hiệu lực từ ngày nào?"). "ai" (who) only in lower case: "AI" is artificial intelligence.
INTERROGATIVE = re.compile(
    r"(?i:(?<!\w)(?:bao nhiêu|mấy|nào|gì|bao lâu|khi nào|đâu|thế nào|ra sao|bao giờ)(?!\w))|(?<!\w)ai(?!\w)"
)
ASK_SEPARATOR = re.compile(r"(\s*[,;?]\s*|\s+(?:và|còn)\s+)")
