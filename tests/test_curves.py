"""Budget curves: the sample-efficiency figures on known synthetic curves."""

import math

import pytest

from leaderboards.curves import common_range, mean_over_log_tokens, reach_interval, tokens_to_reach


def test_mean_over_log_tokens_of_a_line_in_log_tokens():
    """v = 0.1 * log10(t) from 10 to 10,000 tokens: its mean over log10 t in [10, 10^4] is 0.1 * 2.5; over a
    sub-range it is interpolated, never extrapolated."""
    t, v = [10, 100, 1000, 10000], [0.1, 0.2, 0.3, 0.4]
    assert mean_over_log_tokens(t, v, 10, 10000) == pytest.approx(0.25)
    assert mean_over_log_tokens(t, v, 10 ** 1.5, 10 ** 2.5) == pytest.approx(0.2)
    assert math.isnan(mean_over_log_tokens(t, v, 1, 10000))  # outside the curve: not measured
    assert math.isnan(mean_over_log_tokens(t, [0.1, math.nan, 0.3, 0.4], 10, 10000))


def test_mean_over_log_tokens_of_a_non_monotone_curve_and_a_flat_untrained_row():
    t = [100, 1000, 10000]
    assert mean_over_log_tokens(t, [0.2, 0.8, 0.2], 100, 10000) == pytest.approx(0.5)  # a tent: area 0.6 over 2
    assert mean_over_log_tokens([0, 0, 0], [0.3, 0.35, 0.4], 100, 1000) == pytest.approx(0.35)


def test_tokens_to_reach_interpolates_the_first_crossing():
    t, v = [10, 100, 1000, 10000], [0.1, 0.2, 0.3, 0.4]
    assert tokens_to_reach(t, v, 0.25) == pytest.approx(10 ** 2.5)
    assert tokens_to_reach(t, v, 0.1) == 10  # reached at the first budget
    assert tokens_to_reach(t, v, 0.5) is None  # not reached
    dip = [0.2, 0.9, 0.3, 0.95]
    assert tokens_to_reach(t, dip, 0.8) == pytest.approx(10 ** (1 + 6 / 7))  # the first crossing, not the last
    assert tokens_to_reach(t, [0.1, math.nan, 0.9, 0.9], 0.5) is None  # where it crossed cannot be told


def test_common_range_is_what_every_trained_curve_covers():
    assert common_range([[100, 1000, 10000], [200, 2000, 20000], [0, 0, 0]]) == (200, 10000)
    assert common_range([[10, 20], [100, 200]]) is None and common_range([[0, 0]]) is None
    with pytest.raises(ValueError, match="increase"):
        tokens_to_reach([100, 50], [0.1, 0.2], 0.1)


def test_tokens_to_reach_interval_says_not_reached_never_nan():
    """Half the draws never reach the target: the upper bound is "not reached" (inf), not NaN (interpolating between
    two inf draws gave NaN, shown as n/a); draws that all reach give finite bounds."""
    import numpy as np

    assert reach_interval(np.array([100.0] * 50 + [math.inf] * 50)) == (100.0, math.inf)
    lo, hi = reach_interval(np.array([100.0, 200.0, 300.0, 400.0] * 25))
    assert (lo, hi) == (100.0, 400.0)
    assert all(math.isnan(x) for x in reach_interval(np.array([math.nan])))
