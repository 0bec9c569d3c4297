"""Allocating points: a pure function of the rubric and the check names."""

from collections import defaultdict


def allocate(group_points, check_groups):
    """Split each group's points evenly across its checks.

    group_points: {group: points}; check_groups: [(check name, group), ...] in catalog order.
    Returns {check name: points}, rounded to 0.01, each group's share adding up exactly.
    """
    members = defaultdict(list)
    for name, group in check_groups:
        members[group].append(name)
    points = {}
    for group, names in members.items():
        total = round(float(group_points[group]) * 100)  # in hundredths, to stay exact
        share, extra = divmod(total, len(names))
        for i, name in enumerate(names):
            points[name] = (share + (1 if i < extra else 0)) / 100
    return points


def score(points, passed):
    """Points earned: the allocated points of every passed check."""
    return round(sum(p for name, p in points.items() if passed.get(name)), 2)
