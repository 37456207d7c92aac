"""The benchmark-like score against published figures (anchors D)."""

import pytest

from models.llm.score import benchmark_score, benchmark_score_scalar


def test_gpt35_scores_within_the_fits_error_of_its_published_mmlu():
    # GPT-3.5: MMLU 0.70; the logistic fit's RMSE is 0.08 (Epoch benchmark table).
    assert abs(benchmark_score(24.41) - 0.70) < 0.08


def test_the_score_runs_from_chance_to_one():
    assert benchmark_score(0.0) == pytest.approx(0.25, abs=1e-6)
    assert benchmark_score(60.0) == pytest.approx(1.0, abs=1e-6)


def test_scalar_and_array_scores_agree():
    assert benchmark_score_scalar(25.2) == pytest.approx(float(benchmark_score(25.2)), rel=1e-12)
