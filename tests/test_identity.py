"""Document identity and what an ingest accounts for: nothing replaced, merged or skipped silently."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from index import store as index_store
from index.builder import ingest
from index.retriever import Retriever
from ingest.discovery import discover
from tests.conftest import REPORT, ROOT

NOTE = (
    "BÁO CÁO\n\nI. KẾT QUẢ\n\nNăm {year}, huyện Lạng Giang tiếp nhận {count} hồ sơ trực tuyến.\n"
)


def _note(path: Path, year: int, count: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NOTE.format(year=year, count=count), encoding="utf-8")
    return path


def _ids(store: Path) -> set[str]:
    return set(index_store.load(store).documents)


def test_same_file_name_in_two_folders_are_two_documents(tmp_path: Path) -> None:
    root = tmp_path / "bao-cao"
    _note(root / "2020" / "bao-cao.md", 2020, "1.111")
    _note(root / "2021" / "bao-cao.md", 2021, "2.222")
    report = ingest([root], tmp_path / "store")
    assert report.ok and len(report.added) == 2
    assert _ids(tmp_path / "store") == {"2020/bao-cao.md", "2021/bao-cao.md"}
    texts = " ".join(p.text for p in index_store.load(tmp_path / "store").passages)
    assert "1.111" in texts and "2.222" in texts


def test_a_md_named_like_a_txt_does_not_replace_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPORT, corpus)
    store = tmp_path / "store"
    assert ingest([corpus], store).ok
    before = len(index_store.load(store).passages)
    other = _note(tmp_path / "khac" / f"{REPORT.stem}.md", 2024, "9.999")
    report = ingest([other], store)
    assert report.ok and report.added == [str(other.resolve())]
    assert _ids(store) == {REPORT.name, other.name}
    assert len(index_store.load(store).passages) > before  # the report's passages are all still there
    again = ingest([corpus], store)
    assert not again.changed and len(again.unchanged) == 1


def test_a_second_file_with_a_taken_id_gets_a_longer_one(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = _note(tmp_path / "a" / "bao-cao.md", 2020, "1.111")
    second = _note(tmp_path / "b" / "bao-cao.md", 2021, "2.222")
    assert ingest([first], store).ok
    report = ingest([second], store)
    assert report.ok and _ids(store) == {"bao-cao.md", "b/bao-cao.md"}
    assert any("already has the id bao-cao.md" in w for _, w in report.warnings)
    assert not ingest([first], store).changed  # the first keeps its id


def test_same_content_or_title_is_reported_not_merged(tmp_path: Path) -> None:
    store = tmp_path / "store"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPORT, corpus)
    ingest([corpus], store)
    copy = tmp_path / "ban-sao" / "bao-cao-ban-sao.txt"
    copy.parent.mkdir()
    shutil.copy(REPORT, copy)
    report = ingest([copy], store)
    assert report.ok and len(_ids(store)) == 2
    assert any("same content as " + REPORT.name in w for _, w in report.warnings)
    edited = tmp_path / "sua" / "bao-cao-sua.txt"
    edited.parent.mkdir()
    edited.write_text(REPORT.read_text(encoding="utf-8").replace("81,84%", "81,85%"), encoding="utf-8")
    report = ingest([edited], store)
    assert any("same title as " + REPORT.name in w for _, w in report.warnings)


def test_an_older_store_with_stem_ids_migrates(tmp_path: Path, small_corpus: Path) -> None:
    """A store written before ids were paths: the next ingest re-parses, reusing the vectors."""
    store = tmp_path / "store"
    ingest([small_corpus], store)
    data = index_store.load(store)
    stems = {d: Path(d).stem for d in data.documents}
    for p in data.passages:  # write the store as parser 4 did: ids are file stems
        p.id = p.id.replace(p.doc_id, stems[p.doc_id])
        p.doc_id = p.source = stems[p.doc_id]
    data.documents = {stems[k]: {**v, "id": stems[k], "source": stems[k]} for k, v in data.documents.items()}
    for entry in data.files.values():
        entry.doc_id = stems[entry.doc_id]
    data.parser = "4"
    vectors = data.vectors.copy()
    index_store.save(store, data)
    # ingest only one file: the other, indexed earlier, migrates as well
    report = ingest([small_corpus / "ghi-chu.txt"], store)
    assert report.ok and len(report.updated) == 2
    migrated = index_store.load(store)
    assert set(migrated.documents) == {"ghi-chu.txt", "tin-bo-noi-vu-ket-qua-cchc-2024.md"}
    assert {p.doc_id for p in migrated.passages} == set(migrated.documents)
    assert sorted(map(tuple, migrated.vectors.tolist())) == sorted(map(tuple, vectors.tolist()))


def test_uploads_have_their_own_namespace(tmp_path: Path) -> None:
    from reformqa.uploads import UploadStatus, add_upload

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPORT, corpus)
    store = tmp_path / "store"
    ingest([corpus], store)
    upload = _note(tmp_path / "tai-len" / REPORT.name, 2024, "9.999")
    result = add_upload(store, upload, max_bytes=10**6)
    assert result.status == UploadStatus.ADDED and result.doc_id == f"uploads/{REPORT.name}"
    assert _ids(store) == {REPORT.name, f"uploads/{REPORT.name}"}
    hit = Retriever.load(store).retrieve("huyện Lạng Giang tiếp nhận bao nhiêu hồ sơ trực tuyến năm 2024", k=1)[0]
    assert hit.passage.source == f"uploads/{REPORT.name}"  # citations show which one


def test_skipped_entries_are_reported_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "thu-muc"
    _note(folder / "bao-cao.md", 2020, "1.111")
    _note(folder / ".an.md", 2020, "2.222")
    _note(folder / "~$bao-cao.docx", 2020, "3")
    os.mkfifo(folder / "ong.txt")
    (folder / "vong").symlink_to(folder, target_is_directory=True)
    (folder / "hong.md").symlink_to(folder / "khong-co.md")
    devices = 0
    if os.geteuid() == 0:  # only root may make a device node (this one is /dev/null's)
        os.mknod(folder / "thiet-bi.md", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        devices = 1
    found = discover([folder])
    assert [f.name for f in found.files] == ["bao-cao.md"]
    reasons = {Path(p).name: r for p, r in found.skipped}
    assert "hidden" in reasons[".an.md"]
    assert "lock file" in reasons["~$bao-cao.docx"]
    assert "named pipe" in reasons["ong.txt"]
    assert "loop" in reasons["vong"]
    assert "broken" in reasons["hong.md"]
    if devices:
        assert "a device" in reasons["thiet-bi.md"]
    report = ingest([folder], tmp_path / "store")
    assert report.ok and len(report.skipped) == 5 + devices


def test_a_missing_path_fails_the_ingest(tmp_path: Path) -> None:
    report = ingest([tmp_path / "khong-co"], tmp_path / "store")
    assert not report.ok and "no such file or folder" in report.failed[0][1]


# --------------------------------------------------------------------------------------------
# Permissions. Root reads everything whatever chmod says: as root the command runs without the
# capabilities that bypass file permissions (setpriv), so chmod binds it as it binds a user.
# --------------------------------------------------------------------------------------------

_NO_BYPASS = ["--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]


def _bound_by_chmod(*args: str) -> list[str]:
    command = [sys.executable, *args]
    if os.geteuid() == 0:
        return [shutil.which("setpriv") or "setpriv", *_NO_BYPASS, "--", *command]
    return command


@pytest.fixture()
def restricted(tmp_path: Path):
    """Runs ``reformqa`` so that chmod applies to it; skips (with the reason) where that cannot be."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux): chmod would not stop the command")
    locked = tmp_path / "probe"
    locked.mkdir(mode=0o000)
    try:
        probe = subprocess.run(_bound_by_chmod("-c", f"import os; os.listdir({str(locked)!r})"),
                               capture_output=True, text=True, timeout=60)
    finally:
        locked.chmod(0o755)
    if probe.returncode == 0:
        pytest.skip("chmod 000 does not stop this process here, so there is nothing to test")

    def run(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.run(_bound_by_chmod("-m", "reformqa.cli", *args), capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=600)

    return run


def test_unreadable_files_and_folders_are_clear_errors_and_nothing_is_lost(restricted, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _note(corpus / "doc-duoc.md", 2020, "1.111")
    _note(corpus / "kin" / "bi-mat.md", 2021, "2.222")
    _note(corpus / "kin" / "bao-cao-2022.md", 2022, "3.333")
    store = tmp_path / "store"
    first = restricted("ingest", str(corpus), "--store", str(store))
    assert first.returncode == 0 and "3 added" in first.stderr, first.stderr

    (corpus / "kin").chmod(0o000)  # the sub-folder can no longer be read
    try:
        again = restricted("ingest", str(corpus), "--store", str(store))
        assert again.returncode == 1 and "Traceback" not in again.stderr, again.stderr
        assert "kin: permission denied" in again.stderr and "already indexed are kept" in again.stderr
        assert "0 removed" in again.stderr
        inside = restricted("ingest", str(corpus / "kin" / "bi-mat.md"), "--store", str(store))
        assert inside.returncode == 1 and "Traceback" not in inside.stderr, inside.stderr
        assert "permission denied" in inside.stderr
        direct = restricted("ingest", str(corpus / "kin"), "--store", str(store))
        assert direct.returncode == 1 and "Traceback" not in direct.stderr, direct.stderr
        assert "0 added" in direct.stderr and "permission denied" in direct.stderr
    finally:
        (corpus / "kin").chmod(0o755)
    assert len(index_store.load(store).documents) == 3  # nothing was lost on the way


def test_an_unreadable_file_is_a_clear_error(restricted, tmp_path: Path) -> None:
    secret = _note(tmp_path / "docs" / "bi-mat.md", 2021, "2.222")
    secret.chmod(0o000)
    try:
        out = restricted("ingest", str(secret.parent), "--store", str(tmp_path / "store"))
    finally:
        secret.chmod(0o644)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert "bi-mat.md: permission denied" in out.stderr and "ask its owner" in out.stderr


def test_a_pipe_named_on_the_command_line_is_refused_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "ong.md")  # reading it would wait forever
    report = ingest([tmp_path / "ong.md"], tmp_path / "store")
    assert not report.ok and "named pipe" in report.failed[0][1]
