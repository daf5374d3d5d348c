"""The wording every page shares."""

from __future__ import annotations

import pytest

from portal.text import join_and


@pytest.mark.parametrize(
    ("names", "sentence"),
    [
        ([], ""),
        (["a"], "a"),
        (["a", "b"], "a and b"),
        (["a", "b", "c"], "a, b and c"),
        (("1", "2", "3", "4"), "1, 2, 3 and 4"),
    ],
)
def test_join_and_lists_names_as_a_sentence_does(names, sentence):
    assert join_and(names) == sentence
