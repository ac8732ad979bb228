"""The language model kept in the cache as plain arrays (mapped into memory) guesses as
py3langid's own loading does, and any trouble with the cache falls back to that loading."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from hashrally.listening import records
from tests.fakes import ROOT

RECORDED = ROOT / "tests" / "fixtures" / "recorded" / "x"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Every text of the recorded X pages, posts and the posts they carry along."""
    found = []
    for name in ("brexit.jsonl", "kpop.jsonl"):
        for line in (RECORDED / name).read_bytes().splitlines():
            page = orjson.loads(line)
            for tweet in [*page["data"], *page.get("includes", {}).get("tweets", [])]:
                found.append(tweet["text"])
    assert len(found) > 200
    return found


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE)


def guesses(identifier: object, texts: list[str]) -> list[tuple[str, float]]:
    return [identifier.classify(text) for text in texts]  # type: ignore[attr-defined]


def test_it_guesses_as_py3langid_from_the_kept_model(
    tmp_path: Path, texts: list[str], reference: LanguageIdentifier
) -> None:
    first = records._load_identifier(tmp_path)  # keeps it
    (kept,) = tmp_path.glob("langid-*")
    # Only the directory, no half-written one beside it.
    assert [p.name for p in tmp_path.iterdir()] == [kept.name]
    again = records._load_identifier(tmp_path)  # reads what was kept
    expected = guesses(reference, texts)
    assert len({language for language, _ in expected}) > 5
    assert guesses(first, texts) == expected
    assert guesses(again, texts) == expected
    assert sum(p.stat().st_size for p in kept.iterdir()) > 60_000_000


def test_it_removes_other_copies_but_not_one_being_written(tmp_path: Path) -> None:
    earlier = tmp_path / "langid-4586720-1.npz.zst"
    earlier.write_bytes(b"an earlier hashrally's copy")
    other_version = tmp_path / "langid-4586721-2"
    other_version.mkdir()
    (other_version / "ptc.npy").write_bytes(b"another py3langid's copy")
    abandoned = tmp_path / "langid-4586720-3.abc.tmp"
    abandoned.mkdir()
    hours_ago = time.time() - 2 * 3600
    os.utime(abandoned, (hours_ago, hours_ago))
    being_written = tmp_path / "langid-4586720-3.def.tmp"
    being_written.mkdir()
    records._load_identifier(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [next(tmp_path.glob("langid-*[0-9]")).name, being_written.name]
    )


def test_it_leaves_nothing_half_written_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    written = 0

    def save_then_fail(*args: Any, **kwargs: Any) -> None:
        nonlocal written
        written += 1
        if written == 3:
            raise OSError(28, "No space left on device")
        np_save(*args, **kwargs)

    np_save = np.save
    monkeypatch.setattr(np, "save", save_then_fail)
    identifier = records._load_identifier(tmp_path)  # py3langid's own loading instead
    assert identifier.classify("Bu gün Xocalı soyqırımının ildönümüdür")[0] == "az"
    assert list(tmp_path.iterdir()) == []


def test_it_refuses_a_kept_array_of_another_layout(tmp_path: Path) -> None:
    import numpy as np

    records._load_identifier(tmp_path)
    (kept,) = tmp_path.glob("langid-*")
    dfa = np.load(kept / "nextmove.npy")
    np.save(kept / "nextmove.npy", dfa.astype(">u4"))  # big-endian: not what memoryview reads
    with pytest.raises(ValueError, match="nextmove"):
        records._mapped(LanguageIdentifier, kept)


def test_it_loads_py3langids_model_when_the_kept_one_is_cut(
    tmp_path: Path, texts: list[str], reference: LanguageIdentifier
) -> None:
    records._load_identifier(tmp_path)
    (kept,) = tmp_path.glob("langid-*")
    whole = {p.name: p.read_bytes() for p in kept.iterdir()}
    largest = kept / "nextmove.npy"
    largest.write_bytes(whole[largest.name][: len(whole[largest.name]) // 2])
    assert guesses(records._load_identifier(tmp_path), texts) == guesses(reference, texts)
    # The cut copy is gone, and kept whole again next time.
    assert not kept.exists()
    records._load_identifier(tmp_path)
    assert {p.name: p.read_bytes() for p in kept.iterdir()} == whole


def test_it_loads_py3langids_model_when_an_array_is_missing(
    tmp_path: Path, texts: list[str], reference: LanguageIdentifier
) -> None:
    records._load_identifier(tmp_path)
    (kept,) = tmp_path.glob("langid-*")
    (kept / "ptc.npy").unlink()
    assert guesses(records._load_identifier(tmp_path), texts[:50]) == guesses(reference, texts[:50])
    assert not kept.exists()


def test_it_loads_py3langids_model_when_the_cache_cannot_be_written(
    tmp_path: Path, texts: list[str], reference: LanguageIdentifier
) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the directory should be")
    identifier = records._load_identifier(blocked)
    assert guesses(identifier, texts[:50]) == guesses(reference, texts[:50])
    assert blocked.read_text() == "a file where the directory should be"
