# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retention as a policy: the ``X-Delete-At`` of a version that enters history.

Internal use only: this file is not a public API of the collection. Plain Python: no
Ansible, no HTTP; everything here is a pure function of its arguments.

Before a run replaces or deletes an object, the object's current version is copied into
history with an ``X-Delete-At`` computed once, here, from the time it covers; Swift's
expirer then removes it (and Swift answers 404 for it from that second on). Nothing ever
lists history to prune it, so the expiry must be right when the copy is made.

Semantics (all times are epoch seconds, UTC):

- A version covers ``created <= t < replaced``: from its creation to the moment it stops
  being the object's content (the copy into history, just before the overwrite or delete).
  It is in history from ``replaced`` on.
- A point is the end of a period: of a day, the midnight that ends it; of an ISO week, the
  midnight between Sunday and Monday; of a month, 00:00 on the 1st of the next month. The
  version kept for a point E is the one that was the content at the last instant before E:
  ``created < E <= replaced`` (for whole seconds: the version live at 23:59:59 of the last
  day, ``created <= E - 1 < replaced``). A version created at E itself does not cover E.
- A point counts once it has passed (E <= now). ``keep: {days: D, weeks: W, months: M}``
  keeps, at ``now``, the versions of the last D daily points, the last W weekly points and
  the last M monthly points that have passed: with D = 1, the state as of last midnight.
  A daily point E is thus kept from E until E + D days, a weekly one until E + W weeks, a
  monthly one until 00:00 on the 1st of the month M months after E (months of 28 to 31
  days counted as months).
- ``within: S`` keeps every version replaced less than S seconds ago (``now < replaced +
  S``): every state the object had in the last S seconds can be restored.
- A version stays in history exactly while one of these promises holds: its X-Delete-At is
  the latest end among the promises it is part of. Only the latest point of each kind that
  it covers matters (an earlier one ends sooner); each such end lies after ``replaced``, so
  the version is kept without a gap from ``replaced`` to its X-Delete-At, and is gone the
  first second no promise holds (Swift hides an object whose X-Delete-At <= now).
- A version that covers no point of a kind kept (count above 0), under a policy without
  ``within``, gets None: the policy never promises it, so the caller does not copy it.
- The current object is not history: a point whose version is still current (its
  ``replaced`` is after now) is kept by the object itself.

``created`` after ``replaced`` (clocks apart) covers nothing. Times may be floats; the
``within`` end is rounded up to the whole second that ``X-Delete-At`` takes.
"""

from __future__ import annotations

import bisect
import collections
import datetime
import math

from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError

DAY = 86400
WEEK = 7 * DAY
# 1970-01-01 was a Thursday: the first ISO week boundary (Monday 00:00) is 1970-01-05.
_FIRST_MONDAY = 4 * DAY
_UTC = datetime.timezone.utc
KEEP_KEYS = ('days', 'weeks', 'months')

Policy = collections.namedtuple('Policy', ('days', 'weeks', 'months', 'within'))


def _name(option, *parts):
    return '.'.join(part for part in (option,) + parts if part)


def _count(value, name, unit):
    """A whole number 0 or more, from an int or a string of digits (as YAML or templates give it)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ArchiveError('%s: %r is not a number of %s; write a whole number, 0 or more' % (name, value, unit))
    return value


def parse_policy(keep=None, within=None, option='history'):
    """The Policy from the options ``keep`` (a dict of days, weeks, months; each optional)
    and ``within`` (seconds). ``option`` names them in messages ('history.keep.days')."""
    if keep is None:
        keep = {}
    if not isinstance(keep, dict):
        raise ArchiveError(
            '%s: expected a dict such as {days: 7, weeks: 4, months: 12}, got %r' % (_name(option, 'keep'), keep)
        )
    unknown = sorted(str(key) for key in keep if key not in KEEP_KEYS)
    if unknown:
        raise ArchiveError(
            '%s: unknown key(s) %s; the keys are %s' % (_name(option, 'keep'), ', '.join(unknown), ', '.join(KEEP_KEYS))
        )
    counts = [_count(keep.get(key, 0), _name(option, 'keep', key), key) for key in KEEP_KEYS]
    seconds = _count(0 if within is None else within, _name(option, 'within'), 'seconds')
    if not any(counts) and not seconds:
        raise ArchiveError(
            '%s: the policy keeps no version; give keep.days, keep.weeks, keep.months or within'
            ' a number above 0 (to keep no history, leave the option out)' % (option or 'keep')
        )
    return Policy(*counts, within=seconds)


def _month_start(stamp, later=0):
    """00:00 UTC on the 1st of the month of ``stamp``, or of the month ``later`` months after it."""
    moment = datetime.datetime.fromtimestamp(stamp, _UTC)
    index = moment.year * 12 + moment.month - 1 + later
    return int(datetime.datetime(index // 12, index % 12 + 1, 1, tzinfo=_UTC).timestamp())


def _promises(policy, created, replaced):
    """The end of each promise that keeps the version created..replaced."""
    day_end = int(replaced // DAY) * DAY  # the latest daily point <= replaced
    if policy.days and created < day_end:
        yield day_end + policy.days * DAY
    week_end = int((replaced - _FIRST_MONDAY) // WEEK) * WEEK + _FIRST_MONDAY
    if policy.weeks and created < week_end:
        yield week_end + policy.weeks * WEEK
    month_end = _month_start(replaced)
    if policy.months and created < month_end:
        yield _month_start(month_end, policy.months)
    if policy.within:
        yield int(math.ceil(replaced + policy.within))


def delete_at(policy, created, replaced):
    """The X-Delete-At (epoch seconds, after ``replaced``) of the version that covered
    ``created <= t < replaced`` as it enters history, or None when the policy never keeps
    it (then do not copy it)."""
    return max(_promises(policy, created, replaced), default=None)


def kept(policy, versions, now):
    """The versions that history must hold at ``now``: a set of ``(created, replaced)`` pairs
    out of ``versions``, the successive versions of one object (intervals that do not overlap).

    The reference for delete_at(), computed the plain way with the calendar: list the last
    D days, W weeks and M months that have ended, take the version that was the content at
    the end of each, add those replaced within the last ``within`` seconds. A version still
    current at ``now`` is not history and never part of the answer.
    """
    history = sorted((replaced, created) for created, replaced in versions if replaced <= now)
    ends = [replaced for replaced, _created in history]
    midnight = datetime.datetime.fromtimestamp(now, _UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    points = [midnight - datetime.timedelta(days=i) for i in range(policy.days)]
    monday = midnight - datetime.timedelta(days=midnight.weekday())
    points += [monday - datetime.timedelta(weeks=i) for i in range(policy.weeks)]
    first = midnight.replace(day=1)
    for _i in range(policy.months):
        points.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    result = set()
    for point in points:
        stamp = point.timestamp()
        found = bisect.bisect_left(ends, stamp)  # the first version replaced at or after the point
        if found < len(history) and history[found][1] < stamp:
            result.add((history[found][1], history[found][0]))
    recent = bisect.bisect_right(ends, now - policy.within) if policy.within else len(history)
    result.update((created, replaced) for replaced, created in history[recent:])
    return result
