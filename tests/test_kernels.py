"""The similarity kernels alone, on arrays, against hand-worked values."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations import kernels


def neighbours_of(blocks, n_rows):
    """Collect kernel output into {source: [(target, score, support), ...]}."""
    result = {row: [] for row in range(n_rows)}
    for block in blocks:
        supports = block.support if block.support is not None else [None] * len(block)
        for s, t, score, support in zip(
            block.source, block.target, block.score, supports, strict=True
        ):
            result[int(s)].append((int(t), float(score), support))
    return result


def matrix(entries, shape):
    rows, cols, values = zip(*entries, strict=True)
    return kernels.amount_matrix(
        np.array(rows), np.array(cols), np.array(values), shape
    )


def test_two_projects_sharing_one_backer_score_the_worked_cosine():
    # P1 {b1 25, b2 10}, P2 {b1 50, b3 20}: 1250 / (sqrt(725) * sqrt(2900)).
    amounts = matrix([(0, 0, 25), (0, 1, 10), (1, 0, 50), (1, 2, 20)], (2, 3))

    result = neighbours_of(kernels.collaborative_neighbours(amounts, 10), 2)

    assert result[0] == [(1, pytest.approx(0.862069, abs=1e-6), 1)]
    assert result[1] == [(0, pytest.approx(0.862069, abs=1e-6), 1)]


def test_identical_projects_are_neighbours_but_never_their_own():
    amounts = matrix(
        [(0, 0, 10), (0, 1, 20), (1, 0, 10), (1, 1, 20), (2, 1, 5), (2, 2, 5)],
        (3, 3),
    )

    result = neighbours_of(kernels.collaborative_neighbours(amounts, 10), 3)

    assert [t for t, _, _ in result[0]] == [1, 2]
    assert result[0][0][1] == pytest.approx(1.0, abs=1e-6)
    assert result[0][1][1] == pytest.approx(0.632456, abs=1e-6)
    assert result[0][0][2] == 2  # both backers shared
    assert all(t != 0 for t, _, _ in result[0])


def test_repeated_pairs_are_summed_before_the_cosine():
    # (b1,P1,20) and (b1,P1,5) are one pledge of 25.
    amounts = matrix(
        [(0, 0, 20), (0, 0, 5), (0, 1, 10), (1, 0, 30), (1, 1, 10)], (2, 2)
    )

    result = neighbours_of(kernels.collaborative_neighbours(amounts, 10), 2)

    expected = (25 * 30 + 10 * 10) / math.sqrt(25**2 + 10**2) / math.sqrt(1000)
    assert result[0][0][1] == pytest.approx(expected, abs=1e-9)
    assert result[0][0][1] == pytest.approx(0.998274, abs=1e-6)


def test_small_blocks_give_the_same_lists_as_one_block():
    rng = np.random.default_rng(7)
    dense = rng.integers(0, 4, size=(60, 40)) * rng.lognormal(3, 0.5, size=(60, 40))
    dense[dense < 30] = 0
    amounts = sp.csr_matrix(dense)

    whole = neighbours_of(kernels.collaborative_neighbours(amounts, 5), 60)
    blocked = neighbours_of(
        kernels.collaborative_neighbours(amounts, 5, block_budget=3), 60
    )

    assert blocked == whole


def test_top_n_keeps_the_best_scores_against_a_dense_cosine():
    rng = np.random.default_rng(3)
    dense = rng.lognormal(3, 1, size=(30, 20)) * (rng.random((30, 20)) < 0.3)
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    unit = np.divide(dense, norms, out=np.zeros_like(dense), where=norms > 0)
    expected = unit @ unit.T

    result = neighbours_of(
        kernels.collaborative_neighbours(sp.csr_matrix(dense), 4), 30
    )

    for row, found in result.items():
        others = np.delete(expected[row], row)
        best = np.sort(others[others > 0])[::-1][:4]
        assert [score for _, score, _ in found] == pytest.approx(list(best))


def test_a_project_with_no_backings_has_no_neighbours():
    amounts = matrix([(0, 0, 10), (1, 0, 10)], (3, 1))

    result = neighbours_of(kernels.collaborative_neighbours(amounts, 10), 3)

    assert result[2] == []
    assert all(t != 2 for found in result.values() for t, _, _ in found)


def test_scores_stay_within_the_unit_interval():
    # Near-identical large amounts tempt rounding above 1.
    amounts = matrix([(0, 0, 1e9), (0, 1, 3), (1, 0, 1e9), (1, 1, 3)], (2, 2))

    blocks = list(kernels.collaborative_neighbours(amounts, 10))

    scores = np.concatenate([b.score for b in blocks])
    assert np.all((scores >= 0) & (scores <= 1)) and np.all(np.isfinite(scores))


def test_negative_amounts_are_refused():
    amounts = sp.csr_matrix(np.array([[1.0, -2.0], [1.0, 1.0]]))

    with pytest.raises(ValueError, match="negative"):
        list(kernels.collaborative_neighbours(amounts, 10))


def test_lsi_finds_the_shared_words_with_more_components_asked_than_possible():
    texts = ["solar lantern kit", "solar charger kit", "board game dice"]

    vectors = kernels.lsi_vectors(texts, n_components=100)
    result = neighbours_of(kernels.dense_neighbours(vectors, 10), 3)

    assert result[0][0][0] == 1
    assert result[2] == []


def test_lsi_refuses_a_corpus_of_stop_words_and_digits():
    with pytest.raises(kernels.EmptyCorpusError):
        kernels.lsi_vectors(["the and of", "2020 1999", "it is"], 10)


def test_a_text_with_no_usable_word_has_no_content_neighbours():
    texts = ["robot kit for kids", "robot kit for schools", "the 2020"]

    vectors = kernels.lsi_vectors(texts, 10)
    result = neighbours_of(kernels.dense_neighbours(vectors, 10), 3)

    assert result[2] == []
    assert [t for t, _, _ in result[0]] == [1]


def test_dense_neighbours_match_a_full_sort_with_small_blocks():
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(50, 6))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    expected = vectors @ vectors.T

    result = neighbours_of(kernels.dense_neighbours(vectors, 7, block_budget=120), 50)

    for row, found in result.items():
        others = np.delete(expected[row], row)
        best = np.sort(others[others > kernels.SCORE_FLOOR])[::-1][:7]
        assert [score for _, score, _ in found] == pytest.approx(list(best))
        assert row not in [t for t, _, _ in found]


def test_projects_whose_backers_back_nothing_else_have_no_neighbours():
    # Each backer backs one project only: no pair shares a backer.
    amounts = matrix([(0, 0, 10), (1, 1, 20), (2, 2, 5)], (3, 3))

    blocks = list(kernels.collaborative_neighbours(amounts, 10, block_budget=1))

    assert sum(len(block) for block in blocks) == 0
    assert all(block.support is not None for block in blocks)


def test_support_counts_the_backers_two_projects_share():
    # P0 {b0, b1, b2}, P1 {b1, b2, b3}, P2 {b2}: P0-P1 share two, the
    # others one.
    amounts = matrix(
        [(0, 0, 5), (0, 1, 5), (0, 2, 5), (1, 1, 7), (1, 2, 7), (1, 3, 7), (2, 2, 9)],
        (3, 4),
    )

    result = neighbours_of(kernels.collaborative_neighbours(amounts, 10), 3)

    assert {t: support for t, _, support in result[0]} == {1: 2, 2: 1}
    assert {t: support for t, _, support in result[1]} == {0: 2, 2: 1}
    assert {t: support for t, _, support in result[2]} == {0: 1, 1: 1}


def test_ties_at_the_cut_keep_the_same_neighbours_in_any_blocking():
    # One pledge per backing, as on Kickstarter's public data, makes many
    # cosines equal; which of those tied at the cut are kept must not
    # depend on the run or on how rows were grouped into blocks.
    rng = np.random.default_rng(1)
    amounts = sp.csr_matrix((rng.random((400, 60)) < 0.1).astype(np.float64))

    whole = neighbours_of(kernels.collaborative_neighbours(amounts, 5), 400)
    again = neighbours_of(kernels.collaborative_neighbours(amounts, 5), 400)
    blocked = neighbours_of(
        kernels.collaborative_neighbours(amounts, 5, block_budget=50), 400
    )

    assert whole == again == blocked
    assert sum(len(found) == 5 for found in whole.values()) > 300


def test_threads_share_the_work_without_changing_a_list():
    rng = np.random.default_rng(4)
    amounts = sp.csr_matrix((rng.random((300, 40)) < 0.15) * rng.lognormal(3, 1))

    alone = neighbours_of(kernels.collaborative_neighbours(amounts, 5), 300)
    shared = neighbours_of(kernels.collaborative_neighbours(amounts, 5, threads=2), 300)

    assert shared == alone
