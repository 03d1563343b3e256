"""The filesystem store: atomic writes, owner-only files, generated names only."""

import os
import stat
from pathlib import Path

import pytest

from ombuds_intake.attachments.models import new_storage_key
from ombuds_intake.attachments.storage import FilesystemStore, StoredObjectNotFound, build_store
from ombuds_intake.config import Settings


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


async def test_put_then_get_returns_the_same_bytes(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path / "attachments")
    key = new_storage_key()
    await store.put(key, b"%PDF-1.4 evidence")
    assert await store.get(key) == b"%PDF-1.4 evidence"
    assert files_under(tmp_path / "attachments") == [tmp_path / "attachments" / key]


async def test_files_and_folders_are_for_the_service_user_only(tmp_path: Path) -> None:
    root = tmp_path / "attachments"
    store = FilesystemStore(root)
    key = new_storage_key()
    await store.put(key, b"data")
    path = store.path_for(key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(root.stat().st_mode) & 0o077 == 0


async def test_a_failed_write_leaves_the_old_file_and_no_partial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FilesystemStore(tmp_path)
    key = new_storage_key()
    await store.put(key, b"first version")

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        await store.put(key, b"second version, never completed")
    monkeypatch.undo()
    assert await store.get(key) == b"first version"
    assert files_under(tmp_path) == [store.path_for(key)]


async def test_a_new_key_appears_only_when_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FilesystemStore(tmp_path)
    key = new_storage_key()
    seen_before_rename: list[list[Path]] = []
    real_replace = os.replace

    def watching_replace(source: str, target: str) -> None:
        seen_before_rename.append(files_under(tmp_path))
        assert Path(source).read_bytes() == b"complete"
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", watching_replace)
    await store.put(key, b"complete")
    # Before the rename only a hidden temporary file existed, never the final name.
    [before] = seen_before_rename
    assert store.path_for(key) not in before
    assert [path.name.startswith(".partial-") for path in before] == [True]
    assert files_under(tmp_path) == [store.path_for(key)]


async def test_missing_objects(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    with pytest.raises(StoredObjectNotFound):
        await store.get(new_storage_key())
    await store.delete(new_storage_key())  # deleting twice, or never-stored, is fine
    key = new_storage_key()
    await store.put(key, b"x")
    await store.delete(key)
    with pytest.raises(StoredObjectNotFound):
        await store.get(key)


@pytest.mark.parametrize(
    "key",
    ["../outside", "a/../../b", "/etc/passwd", "evidence.pdf", ".hidden", "a\\b", "", "a//b"],
)
async def test_only_generated_keys_are_accepted(tmp_path: Path, key: str) -> None:
    store = FilesystemStore(tmp_path / "root")
    with pytest.raises(ValueError, match="not a storage key"):
        await store.put(key, b"x")
    assert not (tmp_path / "outside").exists()
    assert files_under(tmp_path) == []


def test_storage_keys_are_random_and_fanned_out() -> None:
    keys = {new_storage_key() for _ in range(1000)}
    assert len(keys) == 1000
    for key in keys:
        folder, name = key.split("/")
        assert folder == name[:2]
        assert len(name) == 32


def test_settings_choose_the_store(tmp_path: Path) -> None:
    store = build_store(Settings(attachments_dir=str(tmp_path)))
    assert isinstance(store, FilesystemStore)
    assert store.root == tmp_path
