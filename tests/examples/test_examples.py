"""The README's curl demo posts these files: each must stay valid as the paths evolve."""

import json
from pathlib import Path

import pytest

from ombuds_intake.forms.definition import load_definition
from ombuds_intake.forms.paths import validate_submission

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "submissions").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_valid_on_the_current_paths(path: Path) -> None:
    submission = validate_submission(json.loads(path.read_text()))
    assert submission.kind == path.stem
    assert submission.form_version == load_definition().version


def test_there_is_one_example_per_kind() -> None:
    assert sorted(p.stem for p in EXAMPLES) == sorted(load_definition().kinds)
