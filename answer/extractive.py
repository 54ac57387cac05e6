"""Extractive answering: choose the sentences that answer, quote them, cite them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from answer.citations import MARKER, Citation
from answer.question import QuestionKind
from answer.sentences import Sentence, split_sentences
from index.lexical import BM25, normalise, tokenize
from index.retriever import ScoredPassage
from ingest.models import Footnote
from ingest.passages import footnote_numbers
from ingest.references import find_references
from ingest.vietnamese import to_superscript

MAX_ANSWER_CHARS = 600
_DIGIT = re.compile(r"\d")
_DATE = re.compile(
    r"\d{1,2}/\d{1,2}/\d{4}|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}|năm\s+\d{4}|tháng\s+\d{1,2}/\d{4}|"
    r"\b\d{1,2}/\d{4}\b|ngày ký|quý\s+[IV]+"
)
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*\s*(?:%|hồ sơ|văn bản|người|cơ quan|đơn vị|xã|huyện|tỷ|triệu|chỉ tiêu|thí sinh|lớp|học viên|dịch vụ|ngày|tháng|năm|điểm|/\d+)")


@dataclass
class Candidate:
    """A sentence of a retrieved passage with its score."""

    hit: ScoredPassage
    rank: int
    sentence: Sentence
    index: int
    score: float
    whole: Sentence | None = None  # the full sentence when ``sentence`` is a window of it
    covered: frozenset[str] = frozenset()  # question tokens the sentence (heading, notes) holds

    @property
    def full_text(self) -> str:
        return (self.whole or self.sentence).text


def _idf(bm25: BM25, token: str) -> float:
    return bm25.idf.get(token, math.log(1 + bm25.n_docs))


_ASKING_WORDS = {
    "bao", "nhiêu", "nào", "thế", "như", "gì", "lâu", "mấy", "sao", "khi", "đâu", "ai", "thì", "và", "là",
    "có", "không", "được", "của", "cuả", "các", "những", "cho", "với", "đã", "ở", "tại", "trong", "theo",
}


def question_weights(question: str, bm25: BM25) -> dict[str, float]:
    """The question's content tokens (not its asking words) weighted by rarity in the index."""
    tokens = {t for t in tokenize(question) if not set(t.split("_")) & _ASKING_WORDS}
    return {t: _idf(bm25, t) for t in tokens}


LONG_SENTENCE = 450
LONG_LIST_SENTENCE = MAX_ANSWER_CHARS + 200  # an inline list ("như: a; b; c.") is quoted whole
LENGTH_PENALTY = 0.0002
WINDOW_CHARS = 380
_CLAUSE_END = re.compile(r"[;,:]\s+")
_RECIPIENTS = re.compile(r"^Nơi nhận\s*:")


def score_sentences(
    question: str,
    kind: QuestionKind,
    hits: list[ScoredPassage],
    bm25: BM25,
) -> list[Candidate]:
    """Score every sentence of the retrieved passages for how well it answers ``question``.

    A sentence scores by the IDF mass of the question's tokens it (with its footnotes and
    heading) covers, the passage's dense similarity and rank, and whether it holds what the
    question kind wants (a figure, a date, a footnote). Very long sentences are cut to their
    best window of clauses.
    """
    q_tokens = set(tokenize(question))
    q_mass = sum(_idf(bm25, t) for t in q_tokens) or 1.0

    def overlap(tokens: set[str]) -> float:
        return sum(_idf(bm25, t) for t in q_tokens & tokens) / q_mass

    out: list[Candidate] = []
    for rank, hit in enumerate(hits):
        sentences = split_sentences(hit.passage.text)
        heading_tokens = set(tokenize(hit.passage.heading or hit.passage.section))
        preamble = hit.passage.section == "Mở đầu"
        recipients = next((i for i, x in enumerate(sentences) if _RECIPIENTS.match(x.text)), len(sentences))
        for i, whole in enumerate(sentences):
            sent = whole
            if len(sent.text) > (LONG_LIST_SENTENCE if kind == QuestionKind.LIST else LONG_SENTENCE):
                sent = _best_window(sent, kind, overlap, heading_tokens)
            note_tokens: set[str] = set()
            for note in sentence_footnotes(sent.text, hit):
                note_tokens |= set(tokenize(note.text))
            s_tokens = set(tokenize(sent.text)) | heading_tokens | note_tokens
            score = overlap(s_tokens) + 0.6 * hit.dense - 0.04 * rank
            score += _kind_bonus(kind, sent.text + " " + " ".join(note_tokens))
            if kind == QuestionKind.DEFINITION:
                score += _definition_bonus(question, sent.text)
            if len(sent.text.split()) < 3:
                score -= 0.15
            if preamble and kind != QuestionKind.REFERENCE:
                score -= 0.2
            if i >= recipients:
                score -= 0.5  # "Nơi nhận: - Như Điều 3; …" lists who gets a copy, not what it says
            if sent.text.upper() == sent.text:
                score -= 0.3
            score -= LENGTH_PENALTY * len(sent.text)
            out.append(
                Candidate(hit, rank, sent, i, score, whole if sent is not whole else None, frozenset(q_tokens & s_tokens))
            )
    out.sort(key=lambda c: -c.score)
    return out


def _inside_quotes(text: str) -> list[bool]:
    """For each character, whether it sits inside “…” or (…): never cut a quoted name or an
    aside ("(cắt giảm 503/2003 TTHC, tổng cộng 3.997 ngày)") in two."""
    depth, out = 0, []
    for ch in text:
        if ch in "“(":
            depth += 1
        elif ch in "”)":
            depth = max(0, depth - 1)
        out.append(depth > 0)
    return out


def _best_window(sent: Sentence, kind: QuestionKind, overlap, extra: set[str]) -> Sentence:
    """The run of clauses (at most WINDOW_CHARS) of a long sentence that best answers."""
    cuts = _clause_cuts(sent.text)
    best, best_score = None, -1e9
    for a in range(len(cuts) - 1):
        for b in range(a + 1, len(cuts)):
            if cuts[b] - cuts[a] > WINDOW_CHARS and b > a + 1:
                break
            piece = sent.text[cuts[a] : cuts[b]]
            score = overlap(set(tokenize(piece)) | extra) + _kind_bonus(kind, piece) + 0.0005 * len(piece)
            if a == 0:
                score += 0.05  # the sentence's own start names its subject
            elif piece.lstrip()[:1].isupper():
                score += 0.03  # a clause that starts like a sentence reads better as a quote
            if score > best_score:
                best, best_score = (cuts[a], cuts[b]), score
    if best is None:
        return sent
    return _clause_run(sent, *best)


def _clause_cuts(text: str) -> list[int]:
    """Where a sentence may be cut: after , ; : outside quotes and parentheses, and its ends."""
    inside = _inside_quotes(text)
    return [0] + [m.end() for m in _CLAUSE_END.finditer(text) if not inside[m.start()]] + [len(text)]


def _clause_run(sent: Sentence, a: int, b: int) -> Sentence:
    """The clauses ``sent.text[a:b]`` as a sentence of their own, marked where it was cut."""
    piece = sent.text[a:b]
    lead = len(piece) - len(piece.lstrip())
    text = piece.rstrip(" ,;:").strip()
    start = sent.start + a + lead
    return Sentence(text, start, start + len(text), a > 0, b < len(sent.text))


def _kind_bonus(kind: QuestionKind, text: str) -> float:
    if kind == QuestionKind.FIGURE:
        return 0.15 if _FIGURE.search(text) else (0.05 if _DIGIT.search(text) else -0.1)
    if kind == QuestionKind.DATE:
        return 0.15 if _DATE.search(text) else -0.1
    if kind == QuestionKind.REFERENCE:
        has_marker = bool(re.search("[⁰¹²³⁴⁵⁶⁷⁸⁹]", text))
        return 0.2 if has_marker else (0.1 if find_references(text) else -0.1)
    if kind == QuestionKind.DEFINITION:
        return 0.0
    if kind == QuestionKind.LIST:
        return 0.1 if (text.rstrip().endswith(":") or text.count(",") + text.count(";") >= 2) else 0.0
    return 0.0


_DEFINED = re.compile(r"^(?:\d+\.\s*)?[“\"]([^”\"]{2,80})[”\"]\s*(?:\([^)]*\)\s*)?(?:là|được hiểu là)\b")


def _definition_bonus(question: str, text: str) -> float:
    """A definition ("“Thủ tục hành chính” là …") of the very term the question asks about."""
    m = _DEFINED.match(text.strip())
    if not m:
        return 0.0
    term = normalise(m.group(1))
    return 0.4 if term in normalise(question) else -0.1


def sentence_footnotes(sentence: str, hit: ScoredPassage) -> list[Footnote]:
    """Footnotes whose markers the sentence carries."""
    defined = {f.number: f for f in hit.passage.footnotes}
    return [defined[n] for n in footnote_numbers(sentence, defined)]


_ITEM = re.compile(r"^([a-zđ]\)|[-+•]|\d+\.)")
_POINT = re.compile(r"^([a-zđ]\)|[-+•])")
_CLAUSE_ITEM = re.compile(r"^\d+\.\s")


def compose(
    question: str,
    kind: QuestionKind,
    candidates: list[Candidate],
    next_passage: Callable[[ScoredPassage], ScoredPassage | None] | None = None,
    article: Callable[[ScoredPassage], list[ScoredPassage]] | None = None,
    weights: dict[str, float] | None = None,
) -> tuple[str, list[Citation]]:
    """One to three quoted sentences, each followed by its [n]; footnotes named when asked.

    A sentence that announces a list ("… sau đây:") brings its items, following them into
    the next passage of the same article when the list runs on (``next_passage``).
    """
    if not candidates:
        return "", []
    best = candidates[0]
    scores = {(c.hit.passage.id, c.index): c.score for c in candidates}
    lead = _lead_in(best)
    chosen: list[Candidate] = [lead, best] if lead else [best]
    if best.sentence.text.rstrip().endswith(":") or kind == QuestionKind.LIST:
        items = _list_items(lead or best, next_passage, scores)
        if lead is not None and any(_same(i, best) for i in items):
            chosen = [lead]  # best is one of the items: it takes its place among them
        in_order = False
        if not items and kind == QuestionKind.LIST and _CLAUSE_ITEM.match(best.sentence.text):
            # "những nguyên tắc nào": the clauses of the article, from the first
            chosen, in_order = [], True
            items = _siblings(best, article, scores)
        limit = LONG_LIST_SENTENCE if kind == QuestionKind.LIST else MAX_ANSWER_CHARS
        budget = limit - sum(len(c.sentence.text) for c in chosen)
        picked: list[Candidate] = []
        ranked = items if in_order else sorted(items, key=lambda c: (not _same(c, best), -c.score))
        for item in ranked:
            if len(item.sentence.text) <= budget:
                picked.append(item)
                budget -= len(item.sentence.text)
        order = {id(c): i for i, c in enumerate(items)}
        chosen += sorted(picked, key=lambda c: order[id(c)])
        chosen = chosen or [best]
    if kind == QuestionKind.DATE and len(chosen) == 1 and not _DATE.search(best.sentence.text):
        # a plan's task is often followed by its "Thời gian thực hiện: Tháng 12/2025."
        following = split_sentences(best.hit.passage.text)[best.index + 1 : best.index + 4]
        for offset, sent in enumerate(following, 1):
            if _ITEM.match(sent.text):
                break
            if _DATE.search(sent.text) and len(sent.text) < 200:
                chosen.append(Candidate(best.hit, best.rank, sent, best.index + offset, best.score))
                break
    if len([c for c in chosen if c is not lead]) == 1 and weights:
        widened = _widen(best, weights)
        if widened is not None:
            chosen = [widened if c is best else c for c in chosen]
            best = widened
        else:
            extra = _complement(best, candidates, weights)
            if extra is not None:
                chosen.append(extra)
    if len(chosen) == 1:
        for cand in candidates[1:4]:
            total = sum(len(c.sentence.text) for c in chosen) + len(cand.sentence.text)
            if cand.score >= best.score - 0.08 and total <= MAX_ANSWER_CHARS and cand.sentence.text not in {
                c.sentence.text for c in chosen
            }:
                chosen.append(cand)
                break

    # read in document order within each passage, passages in the order they were chosen
    first_seen: dict[str, int] = {}
    for c in chosen:
        first_seen.setdefault(c.hit.passage.id, len(first_seen))
    chosen = sorted(chosen, key=lambda c: (first_seen[c.hit.passage.id], c.sentence.start))
    chosen = _mark_skipped_items(chosen)
    citations: list[Citation] = []
    parts: list[str] = []
    by_passage: dict[str, Citation] = {}
    for cand in chosen:
        p = cand.hit.passage
        notes = sentence_footnotes(cand.sentence.text, cand.hit)
        cite = by_passage.get(p.id)
        if cite is None:
            cite = Citation(
                n=len(citations) + 1,
                document=p.document,
                source=p.source,
                section=p.section,
                article=p.article,
                quote=cand.sentence.text,
                footnotes=notes,
                score=cand.hit.score,
                passage_id=p.id,
                passage_text=p.text,
                quote_span=(cand.sentence.start, cand.sentence.end),
                references=[r.number for r in p.references],
            )
            citations.append(cite)
            by_passage[p.id] = cite
        else:
            a = min(cite.quote_span[0], cand.sentence.start)
            b = max(cite.quote_span[1], cand.sentence.end)
            cite.quote, cite.quote_span = p.text[a:b], (a, b)
            cite.footnotes += [f for f in notes if f not in cite.footnotes]
        parts.append((_escape_markers(cand.sentence.display), cite.n, notes))

    text = _render(parts, kind)
    first = chosen[0]
    if _ITEM.match(first.sentence.text) and first.hit.passage.heading:
        text = f"{first.hit.passage.heading.rstrip(':')}:\n{text}"
    return _trim(text), citations


COMPLEMENT_MISSING = 0.25  # share of the question's weight the best sentence leaves out
COMPLEMENT_GAIN = 0.15  # share a second sentence must add to be quoted too
COMPLEMENT_SLACK = 0.35  # how far below the best sentence's score it may be


def _left_out(best: Candidate, weights: dict[str, float]) -> set[str] | None:
    """The question's tokens the best sentence leaves out, if they weigh enough to look further."""
    total = sum(weights.values()) or 1.0
    missing = set(weights) - best.covered
    return missing if sum(weights[t] for t in missing) >= COMPLEMENT_MISSING * total else None


def _widen(best: Candidate, weights: dict[str, float]) -> Candidate | None:
    """A wider run of the same sentence's clauses, when it answers what the window leaves out."""
    whole = best.whole
    if whole is None or _left_out(best, weights) is None:
        return None
    total = sum(weights.values()) or 1.0
    text = whole.text
    cuts = _clause_cuts(text)
    own = set(tokenize(best.sentence.text))
    context = (best.covered & set(weights)) - own  # what the heading and footnotes already hold
    base = sum(weights.get(t, 0.0) for t in best.covered)
    pick, pick_gain = None, COMPLEMENT_GAIN * total
    for i, a in enumerate(cuts):
        for b in cuts[i + 1 :]:
            if b - a > MAX_ANSWER_CHARS:
                break
            covered = (set(weights) & set(tokenize(text[a:b]))) | context
            gain = sum(weights[t] for t in covered) - base
            if gain > pick_gain or (pick and gain == pick_gain and b - a < pick[1] - pick[0]):
                pick, pick_gain = (a, b), gain
    if pick is None:
        return None
    sentence = _clause_run(whole, *pick)
    covered = best.covered | (set(weights) & set(tokenize(sentence.text)))
    return replace(best, sentence=sentence, covered=frozenset(covered))


def _complement(best: Candidate, candidates: list[Candidate], weights: dict[str, float]) -> Candidate | None:
    """For a two-part question, the sentence that answers the part the best one leaves out."""
    missing = _left_out(best, weights)
    if missing is None:
        return None
    total = sum(weights.values()) or 1.0
    room = MAX_ANSWER_CHARS - len(best.sentence.text)
    pick, pick_gain = None, COMPLEMENT_GAIN * total
    for cand in candidates[1:10]:
        if len(cand.sentence.text) > room or cand.sentence.text == best.sentence.text:
            continue
        # the sentence just before or after reads on, so it may score lower and add less
        adjacent = _adjacent(cand, best)
        if not adjacent and cand.score < best.score - COMPLEMENT_SLACK:
            continue
        gain = sum(weights[t] for t in missing & cand.covered) * (2.0 if adjacent else 1.0)
        if gain > pick_gain:
            pick, pick_gain = cand, gain
    return pick


def _mark_skipped_items(chosen: list[Candidate]) -> list[Candidate]:
    """A list item quoted after a gap (items left out for length) starts with "…"."""
    out = list(chosen)
    for i in range(1, len(out)):
        prev, cur = out[i - 1], out[i]
        gap = cur.hit.passage.id == prev.hit.passage.id and cur.index > prev.index + 1
        if gap and _ITEM.match(cur.sentence.text) and not cur.sentence.cut_start:
            out[i] = replace(cur, sentence=replace(cur.sentence, cut_start=True))
    return out


def _same(a: Candidate, b: Candidate) -> bool:
    return a.hit.passage.id == b.hit.passage.id and a.index == b.index


def _adjacent(a: Candidate, b: Candidate) -> bool:
    """True if one sentence directly follows the other, within a passage or across two."""
    pa, pb = a.hit.passage, b.hit.passage
    if pa.id == pb.id:
        return abs(a.index - b.index) == 1
    if pa.doc_id != pb.doc_id:
        return False
    first, second = (a, b) if pa.span[0] < pb.span[0] else (b, a)
    if _passage_number(second.hit.passage.id) - _passage_number(first.hit.passage.id) != 1:
        return False
    return second.index == 0 and first.index == len(split_sentences(first.hit.passage.text)) - 1


def _passage_number(passage_id: str) -> int:
    tail = passage_id.rsplit("#", 1)[-1]
    return int(tail) if tail.isdigit() else -10


def _lead_in(best: Candidate) -> Candidate | None:
    """For a point (``a)``, ``-``), the sentence announcing its list ("… sau đây:") before it."""
    if not _POINT.match(best.sentence.text):
        return None
    sentences = split_sentences(best.hit.passage.text)
    for j in range(best.index - 1, -1, -1):
        text = sentences[j].text.rstrip()
        # "… sau đây:" or a bare clause title "5. Các trường hợp không thực hiện điều động"
        if text.endswith(":") or (_CLAUSE_ITEM.match(text) and not text.endswith((".", ";", "!", "?", "…"))):
            return Candidate(best.hit, best.rank, sentences[j], j, best.score)
        if not _POINT.match(text):
            return None
    return None


def _siblings(
    best: Candidate,
    article: Callable[[ScoredPassage], list[ScoredPassage]] | None,
    scores: dict[tuple[str, int], float],
) -> list[Candidate]:
    """The numbered clauses (``1.``, ``2.``…) of the article ``best`` belongs to, in order."""
    items: list[Candidate] = []
    for hit in article(best.hit) if article else [best.hit]:
        for j, sent in enumerate(split_sentences(hit.passage.text)):
            if _CLAUSE_ITEM.match(sent.text):
                items.append(Candidate(hit, best.rank, sent, j, scores.get((hit.passage.id, j), best.score - 0.5)))
    return items


def _list_items(
    best: Candidate,
    next_passage: Callable[[ScoredPassage], ScoredPassage | None] | None,
    scores: dict[tuple[str, int], float],
) -> list[Candidate]:
    """The items after a list's lead-in, across passages of the same article."""
    items: list[Candidate] = []
    hit, start = best.hit, best.index + 1
    while hit is not None and len(items) < 30:
        sentences = split_sentences(hit.passage.text)
        for j in range(start, len(sentences)):
            if not _ITEM.match(sentences[j].text) or re.match(r"^\d+\.", sentences[j].text):
                return items
            score = scores.get((hit.passage.id, j), best.score - 0.5)
            items.append(Candidate(hit, best.rank, sentences[j], j, score))
        if next_passage is None:
            break
        hit, start = next_passage(hit), 0
    return items


def _escape_markers(text: str) -> str:
    """A source's own "[32]" would read as a citation marker: show it with full-width brackets."""
    return MARKER.sub(lambda m: f"［{m.group(1)}］", text)


def _render(parts: list[tuple[str, int, list[Footnote]]], kind: QuestionKind) -> str:
    """Quoted sentences with their [n] (once per run of the same source); list items on lines.

    For "theo văn bản nào" questions the footnotes come first, as the legal basis; otherwise
    they follow, since a footnote often holds the exact date, breakdown or list.
    """
    lines: list[str] = []
    for i, (sentence, n, _notes) in enumerate(parts):
        same_next = i + 1 < len(parts) and parts[i + 1][1] == n
        lines.append(sentence.rstrip() + ("" if same_next else f" [{n}]"))
    listed = any(_ITEM.match(sentence) for sentence, _, _ in parts[1:])
    answer = "\n".join(lines) if listed else " ".join(lines)
    notes = list(dict.fromkeys(f for _, _, ns in parts for f in ns))[:4]
    if not notes:
        return answer
    basis = "; ".join(f"{to_superscript(f.number)} {f.text}" for f in notes)
    if kind == QuestionKind.REFERENCE:
        return f"Căn cứ: {basis} [{parts[0][1]}].\n{answer}"
    return f"{answer}\n(Chú thích: {basis} [{parts[0][1]}])"


def _trim(text: str) -> str:
    if len(text) <= MAX_ANSWER_CHARS + 200:
        return text
    cut = text[: MAX_ANSWER_CHARS + 200]
    markers = re.findall(r"\[\d+\]", text)
    tail = f" … {markers[-1]}" if markers and markers[-1] not in cut else " …"
    return cut.rsplit(" ", 1)[0] + tail
