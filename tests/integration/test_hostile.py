"""Model files arrive in pull requests: hostile input gets a clean rule error (exit 1), never a crash,
a hang, code execution or a read outside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers.gitrepo import Repo
from helpers.models import key_line, model_yaml

FRAUD = "models/fraud.yaml"

BILLION_LAUGHS = 'name: fraud\nversions: []\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{key}: &{key} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, key in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.fixture
def based(repo: Repo) -> Repo:
    """A repository with one committed, valid model."""
    repo.write(FRAUD, model_yaml("fraud", (1, "none")))
    repo.commit("base")
    return repo


def check_worktree_and_commit(repo: Repo, path: str, content: str | bytes) -> list[list[tuple[str, int, int, str]]]:
    """Judge `content` at `path` in the working tree, staged, and committed; all must agree."""
    repo.write(path, content)
    found = []
    worktree = repo.stagectl("check")
    found.append(worktree.located())
    repo.git("add", "-A")
    staged = repo.stagectl("check", "--staged")
    found.append(staged.located())
    repo.commit("hostile")
    committed = repo.stagectl("check", "--base", "HEAD~1")
    found.append(committed.located())
    assert [worktree.returncode, staged.returncode, committed.returncode] == [1, 1, 1]
    return found


def test_billion_laughs_is_refused_at_the_first_anchor(based: Repo) -> None:
    found = check_worktree_and_commit(based, FRAUD, BILLION_LAUGHS)
    assert found == [[(FRAUD, 3, 4, "yaml-unsafe")]] * 3


def test_python_tags_are_never_executed(based: Repo, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = f'name: fraud\nversions: !!python/object/apply:os.system ["touch {marker}"]\n'
    found = check_worktree_and_commit(based, FRAUD, payload)
    assert found == [[(FRAUD, 2, 11, "yaml-unsafe")]] * 3
    all_files = based.stagectl("check", "--all")
    assert all_files.located() == [(FRAUD, 2, 11, "yaml-unsafe")]
    assert not marker.exists()


def test_every_explicit_tag_is_unsafe(based: Repo) -> None:
    """Safe tags too: a model file needs none, and one rule is easier to trust than a list."""
    tags = ["!!python/object/new:subprocess.check_output", "!!python/name:os.system", "!!str", "!custom"]
    for number, tag in enumerate(tags):
        text = model_yaml(f"m{number}", (1, "none")).replace("source: ", f"source: {tag} ")
        based.write(f"models/m{number}.yaml", text)
    result = based.stagectl("check")
    assert result.located() == [
        (f"models/m{number}.yaml", key_line(0, "source"), 13, "yaml-unsafe") for number in range(len(tags))
    ]


def test_committed_symlink_in_models_is_file_type(based: Repo) -> None:
    """A link to /etc/passwd is never followed: the committed link itself is refused."""
    os.symlink("/etc/passwd", based.path / "models/passwd.yaml")
    os.symlink("fraud.yaml", based.path / "models/alias.yaml")
    worktree = based.stagectl("check")
    assert worktree.located() == [("models/alias.yaml", 1, 1, "file-type"), ("models/passwd.yaml", 1, 1, "file-type")]
    assert "root:" not in worktree.stdout
    based.commit("links")
    for args in (["--head", "HEAD"], ["--all"]):
        result = based.stagectl("check", *args)
        assert result.returncode == 1
        assert result.located() == [
            ("models/alias.yaml", 1, 1, "file-type"),
            ("models/passwd.yaml", 1, 1, "file-type"),
        ], args


def test_models_folder_itself_a_symlink(repo: Repo, tmp_path: Path) -> None:
    """A committed `models -> /somewhere` link cannot smuggle files past the check."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "fraud.yaml").write_text(model_yaml("fraud", (1, "production")), encoding="utf-8")
    repo.commit("empty")
    os.symlink(elsewhere, repo.path / "models")
    repo.commit("models is a link")
    result = repo.stagectl("check", "--head", "HEAD")
    assert result.returncode == 1
    assert [rule for _f, _l, _c, rule in result.located()] == ["file-type"]


def test_submodule_in_models_is_file_type(based: Repo) -> None:
    based.git("update-index", "--add", "--cacheinfo", f"160000,{based.rev()},models/sub.yaml")
    result = based.stagectl("check", "--staged")
    assert result.returncode == 1
    assert result.located() == [("models/sub.yaml", 1, 1, "file-type")]


def test_a_nested_repository_in_models_is_one_file_type_error_not_its_files(based: Repo) -> None:
    """A folder with its own .git (a submodule not yet added) is judged as what it is, not walked into."""
    nested = Repo(based.path / "models/sub.yaml")
    nested.path.mkdir()
    nested.git("init", "-q")
    nested.write("inner.yaml", "anything: 1\n")
    nested.write("deeper/more.yaml", "anything: 2\n")
    for args in (("check", "--all"), ("check",)):
        result = based.stagectl(*args)
        assert result.returncode == 1
        assert result.located() == [("models/sub.yaml", 1, 1, "file-type")], args
        assert "git submodule" in result.stdout


def test_fifo_in_models_does_not_hang(based: Repo) -> None:
    os.mkfifo(based.path / "models/pipe.yaml")
    result = based.stagectl("check", "--all")
    assert result.returncode == 1
    assert result.located() == [("models/pipe.yaml", 1, 1, "file-type")]


def test_path_traversal_in_name_is_model_name(based: Repo) -> None:
    based.write("models/passwd.yaml", "name: ../../etc/passwd\nversions: []\n")
    result = based.stagectl("check")
    assert result.returncode == 1
    assert result.located() == [("models/passwd.yaml", 1, 1, "model-name")]
    assert "root:" not in result.stdout


def test_binary_junk_is_yaml_syntax(based: Repo) -> None:
    junk = bytes(range(256)) * 4 + b"\xff\xfe\x00\x00"
    found = check_worktree_and_commit(based, FRAUD, junk)
    assert found == [[(FRAUD, 1, 1, "yaml-syntax")]] * 3


def test_invalid_utf8_is_yaml_syntax(based: Repo) -> None:
    based.write(FRAUD, "name: fraud\ndescription: caf\u00e9\nversions: []\n".encode("latin-1"))
    result = based.stagectl("check")
    assert result.returncode == 1
    assert [rule for _f, _l, _c, rule in result.located()] == ["yaml-syntax"]


@pytest.mark.slow  # 50 MB written and staged
def test_fifty_megabyte_file_is_refused_unread(based: Repo) -> None:
    """Over 1 MiB is yaml-unsafe at 1:1, in a commit and in the working tree; it finishes cleanly."""
    big = b"name: fraud\nversions: []\ndescription: " + b"x" * (50 * 1024 * 1024) + b"\n"
    based.write("models/big.yaml", big)
    worktree = based.stagectl("check")
    assert worktree.located() == [("models/big.yaml", 1, 1, "yaml-unsafe")]
    based.commit("a 50 MB model file")
    (based.path / "models/big.yaml").write_bytes(b"")  # the commit must be read from git, not the disk
    committed = based.stagectl("check", "--head", "HEAD")
    assert committed.returncode == 1
    assert committed.located() == [("models/big.yaml", 1, 1, "yaml-unsafe")]
    assert "MiB" in committed.stdout


def test_just_over_one_mebibyte_is_refused_and_just_under_is_read(based: Repo) -> None:
    limit = 1024 * 1024
    valid = model_yaml("fraud", (1, "none"))
    under = valid + "#" + "x" * (limit - len(valid) - 2) + "\n"
    assert len(under.encode()) == limit
    based.write(FRAUD, under)
    assert based.stagectl("check").returncode == 0
    based.write(FRAUD, under + "\n")
    assert based.stagectl("check").located() == [(FRAUD, 1, 1, "yaml-unsafe")]


def test_deep_nesting_does_not_crash_the_interpreter(based: Repo) -> None:
    """100k levels: refused past the nesting limit, pointing at where the limit is crossed."""
    deep = {
        "models/lists.yaml": "[" * 100_000,
        "models/maps.yaml": "{a: " * 100_000,
        "models/balanced.yaml": "name: balanced\nversions: []\ndescription: " + "[" * 100_000 + "]" * 100_000,
        "models/block.yaml": "- " * 100_000 + "x\n",
    }
    for path, content in deep.items():
        based.write(path, content)
    result = based.stagectl("check")
    assert result.returncode == 1
    found = {path: (line, col, rule) for path, line, col, rule in result.located()}
    assert found["models/lists.yaml"] == (1, 65, "yaml-unsafe")
    assert found["models/maps.yaml"] == (1, 257, "yaml-unsafe")
    assert found["models/balanced.yaml"][::2] == (3, "yaml-unsafe")
    assert found["models/block.yaml"][::2] == (1, "yaml-unsafe")
    assert len(result.located()) == 4


def test_duplicate_keys_cannot_hide_a_second_versions_list(based: Repo) -> None:
    """PyYAML keeps the last `versions:`; a reviewer reads the first. Refused at the repeat."""
    based.write(FRAUD, model_yaml("fraud", (1, "none")) + model_yaml("fraud", (1, "production")).split("\n", 1)[1])
    result = based.stagectl("check")
    assert result.returncode == 1
    assert result.located() == [(FRAUD, 6, 1, "yaml-duplicate-key")]


def test_yaml_11_booleans_are_not_stages(based: Repo) -> None:
    words = ("no", "off", "yes", "No", "OFF")
    for number, word in enumerate(words):
        text = model_yaml(f"m{number}", (1, "none")).replace("stage: none", f"stage: {word}")
        based.write(f"models/m{number}.yaml", text)
    result = based.stagectl("check")
    assert result.located() == [(f"models/m{n}.yaml", key_line(0), 5, "schema") for n in range(len(words))]
    assert all("boolean" in line for line in result.stdout.splitlines())


def test_misspelled_key_does_not_pass_silently(based: Repo) -> None:
    based.write(FRAUD, model_yaml("fraud", (1, "none")).replace("stage: none", "stgae: staging"))
    result = based.stagectl("check")
    assert result.located() == [(FRAUD, key_line(0, "version"), 5, "schema"), (FRAUD, key_line(0), 5, "schema")]
    assert "did you mean 'stage'" in result.stdout


def test_multi_document_file_is_yaml_syntax(based: Repo) -> None:
    based.write(FRAUD, model_yaml("fraud", (1, "none")) + "---\n" + model_yaml("fraud", (1, "production")))
    result = based.stagectl("check")
    assert result.located() == [(FRAUD, 6, 1, "yaml-syntax")]


def test_empty_file_is_schema(based: Repo) -> None:
    empties = {"a": "", "b": "\n\n", "c": "# only a comment\n", "d": "~\n"}
    for name, content in empties.items():
        based.write(f"models/{name}.yaml", content)
    based.write("models/e.yaml", "---\n")
    result = based.stagectl("check")
    assert result.returncode == 1
    assert result.located()[:4] == [(f"models/{name}.yaml", 1, 1, "schema") for name in empties]
    assert [(path, rule) for path, _l, _c, rule in result.located()[4:]] == [("models/e.yaml", "schema")]


def test_non_mapping_documents_are_schema(based: Repo) -> None:
    contents = ["- a\n- b\n", "just text\n", "42\n", "{1: a}\n", "? [a]\n: b\n"]
    for number, content in enumerate(contents):
        based.write(f"models/m{number}.yaml", content)
    result = based.stagectl("check")
    assert result.returncode == 1
    assert {(path, rule) for path, _l, _c, rule in result.located()} == {
        (f"models/m{n}.yaml", "schema") for n in range(len(contents))
    }
