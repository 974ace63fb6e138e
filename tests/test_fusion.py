import pytest

from bot.retrieval import reciprocal_rank_fusion


@pytest.mark.parametrize(
    ("rankings", "k", "expected"),
    [
        ([["a", "b", "c"]], 60, [("a", 1 / 61), ("b", 1 / 62), ("c", 1 / 63)]),
        ([["a", "b"], ["b", "a"]], 60, [("a", 1 / 61 + 1 / 62), ("b", 1 / 62 + 1 / 61)]),
        ([["a", "b"], ["b", "c"]], 1, [("b", 1 / 3 + 1 / 2), ("a", 1 / 2), ("c", 1 / 3)]),
        ([[], ["x"]], 60, [("x", 1 / 61)]),
    ],
)
def test_reciprocal_rank_fusion(rankings, k, expected) -> None:  # type: ignore[no-untyped-def]
    fused = reciprocal_rank_fusion(rankings, k=k)
    assert [item for item, _ in fused] == [item for item, _ in expected]
    assert [score for _, score in fused] == pytest.approx([score for _, score in expected])


def test_fusion_leaves_its_inputs_alone() -> None:
    rankings = [["a", "b"], ["c"]]
    reciprocal_rank_fusion(rankings)
    assert rankings == [["a", "b"], ["c"]]


def test_weights_change_the_order() -> None:
    assert reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 2.0])[0][0] == "b"
