"""Allocating points is a pure function: even shares that add up exactly."""

from grader.scoring import allocate


def test_a_group_is_split_evenly_across_its_checks():
    assert allocate({"g": 6}, [("a", "g"), ("b", "g"), ("c", "g")]) == {"a": 2.0, "b": 2.0, "c": 2.0}


def test_shares_that_do_not_divide_evenly_still_add_up_to_the_group_points():
    points = allocate({"g": 10}, [("a", "g"), ("b", "g"), ("c", "g")])
    assert round(sum(points.values()), 2) == 10
    assert sorted(points.values()) == [3.33, 3.33, 3.34]


def test_groups_are_independent_and_fractional_points_are_kept():
    points = allocate({"g": 1.5, "h": 4}, [("a", "g"), ("b", "h"), ("c", "h")])
    assert points == {"a": 1.5, "b": 2.0, "c": 2.0}


def test_advice_checks_get_their_fixed_points_and_the_rest_goes_to_the_groups_other_checks():
    checks = [("s/values", "s"), ("s/warning-free", "s"), ("s/one-dim", "s"), ("r/values", "r")]
    points = allocate({"s": 9, "r": 2}, checks, {"s/warning-free": 0, "s/one-dim": 1})
    assert points == {"s/values": 8.0, "s/warning-free": 0.0, "s/one-dim": 1.0, "r/values": 2.0}
    assert sum(points.values()) == 11
