"""The README's curl demo posts these files: each must stay valid as the schema grows."""

import json
from pathlib import Path

import pytest

from ombuds_intake.schemas import Kind, SubmissionRequest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "submissions").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_a_valid_submission(path: Path) -> None:
    submission = SubmissionRequest.model_validate(json.loads(path.read_text()))
    assert submission.kind.value == path.stem


def test_there_is_one_example_per_kind() -> None:
    assert sorted(p.stem for p in EXAMPLES) == sorted(kind.value for kind in Kind)
