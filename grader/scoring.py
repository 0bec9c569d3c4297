"""Allocating points: a pure function of the rubric's group points and the checks."""

from collections import defaultdict


def allocate(group_points, check_groups, fixed=None):
    """Split each group's points across its checks.

    group_points: {group: points}; check_groups: [(check id, group), ...] in catalog order;
    fixed: {check id: points} of the advice checks, which get exactly that (0 when the rubric gives
    them none); the rest of each group's points is split evenly across its other checks.
    Returns {check id: points}, rounded to 0.01, each group's share adding up exactly.
    """
    fixed = fixed or {}
    members = defaultdict(list)
    for id, group in check_groups:
        members[group].append(id)
    points = {}
    for group, ids in members.items():
        hundredths = round(float(group_points[group]) * 100)  # in hundredths, to stay exact
        for id in ids:
            if id in fixed:
                points[id] = round(float(fixed[id]) * 100) / 100
                hundredths -= round(float(fixed[id]) * 100)
        main = [id for id in ids if id not in fixed]
        if main:
            share, extra = divmod(hundredths, len(main))
            for i, id in enumerate(main):
                points[id] = (share + (1 if i < extra else 0)) / 100
    return points

