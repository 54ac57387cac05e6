"""What a question asks for: a figure, a date, a list, the legal basis (footnote), …"""

from __future__ import annotations

import re
from enum import StrEnum

from index.lexical import normalise


class QuestionKind(StrEnum):
    FIGURE = "figure"
    DATE = "date"
    LIST = "list"
    REFERENCE = "reference"
    DEFINITION = "definition"
    GENERAL = "general"


_PATTERNS: list[tuple[QuestionKind, re.Pattern[str]]] = [
    (
        QuestionKind.REFERENCE,
        re.compile(
            r"(văn bản nào|quyết định (số )?nào|kế hoạch (số )?nào|công văn (số )?nào|"
            r"nghị định (số )?nào|thông báo (số )?nào|chỉ thị (số )?nào|hướng dẫn (số )?nào|"
            r"căn cứ (vào )?(đâu|gì)|theo (văn bản|quyết định|kế hoạch|công văn) (số )?nào|"
            r"số hiệu|(văn bản|quyết định|kế hoạch|công văn|nghị định|thông báo|chỉ thị|hướng dẫn|đề án|chương trình) số mấy|"
            r"ban hành (văn bản|quyết định) nào|theo (kế hoạch|quyết định|công văn|văn bản) nào|"
            r"(bằng|tại|qua) (văn bản|quyết định|kế hoạch|công văn) nào|là (văn bản|quyết định|nghị định) nào|nghị định nào)"
        ),
    ),
    (
        QuestionKind.DATE,
        re.compile(r"(khi nào|ngày nào|ngày bao nhiêu|bao giờ|từ ngày|thời điểm nào|năm nào|ngày tháng|vào ngày|"
                   r"(vào|trong) thời gian nào|tháng nào|quý nào)"),
    ),
    (
        QuestionKind.FIGURE,
        re.compile(r"(bao nhiêu|mấy|tỷ lệ|tỉ lệ|số lượng|phần trăm|xếp hạng|thứ hạng|đạt (mức|điểm))"),
    ),
    (
        QuestionKind.LIST,
        re.compile(r"(những [^?]{2,60} là gì|(những|các) (nguyên nhân|giải pháp|hạn chế|tồn tại|lĩnh vực|biện pháp|tiêu chuẩn)|gồm|những gì|những (hình thức|nội dung|nhiệm vụ|trường hợp|hành vi|việc|điều kiện|yêu cầu|nguyên tắc|cơ quan)|các (hình thức|nội dung|nhiệm vụ|trường hợp|hành vi|điều kiện|nguyên tắc)|liệt kê)"),
    ),
    (QuestionKind.DEFINITION, re.compile(r"(là gì|được hiểu (là|như thế nào)|nghĩa là)")),
]


def classify_question(question: str) -> QuestionKind:
    """The kind of answer ``question`` wants (first matching pattern wins)."""
    key = normalise(question)
    for kind, pattern in _PATTERNS:
        if pattern.search(key):
            return kind
    return QuestionKind.GENERAL
