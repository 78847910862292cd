# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retention as a policy: hand-written expiries, then a simulated year of nightly runs in
which history must hold, at every instant checked, exactly the versions the policy promises."""

from __future__ import annotations

import datetime
import random

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _retention
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._retention import Policy


def utc(text):
    """Epoch seconds of 'YYYY-MM-DD HH:MM[:SS]' in UTC."""
    return int(datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc).timestamp())


def policy(days=0, weeks=0, months=0, within=0):
    return Policy(days, weeks, months, within)


GFS = policy(7, 4, 12)
HOUR = 3600

# Calendar used below: 2028-03-06, 03-13, 03-20 are Mondays, 2028-03-12 a Sunday; 2028 is a
# leap year (02-29 a Tuesday); 2029-01-01 is a Monday; 2027 is not a leap year.
CASES = [
    # (name, policy, created, replaced, expected X-Delete-At or None)
    ('one day: its end kept 7 days', GFS, '2028-03-08 02:00', '2028-03-09 02:00', '2028-03-16 00:00'),
    ('same day: no point covered', GFS, '2028-03-08 02:00', '2028-03-08 14:00', None),
    ('same day, within 1h', policy(within=HOUR), '2028-03-08 02:00', '2028-03-08 14:00', '2028-03-08 15:00'),
    (
        'same day, 7/4/12 and within 1h',
        GFS._replace(within=HOUR),
        '2028-03-08 02:00',
        '2028-03-08 14:00',
        '2028-03-08 15:00',
    ),
    ('spans a week end (Sun -> Mon)', GFS, '2028-03-12 02:00', '2028-03-13 02:00', '2028-04-10 00:00'),
    ('Sat -> Sun is no week end', GFS, '2028-03-11 02:00', '2028-03-12 02:00', '2028-03-19 00:00'),
    ('week end, weeks only', policy(weeks=1), '2028-03-12 23:00', '2028-03-13 00:30', '2028-03-20 00:00'),
    ('weeks only, no week end covered', policy(weeks=4), '2028-03-07 02:00', '2028-03-08 02:00', None),
    ('spans a 31-day month end', GFS, '2028-03-31 02:00', '2028-04-01 02:00', '2029-04-01 00:00'),
    ('30-day month end, 1 month', policy(months=1), '2028-04-30 02:00', '2028-05-01 02:00', '2028-06-01 00:00'),
    ('31-day month end, 1 month', policy(months=1), '2028-03-31 02:00', '2028-04-01 02:00', '2028-05-01 00:00'),
    (
        'end of Jan, kept through Feb (28 days)',
        policy(months=1),
        '2029-01-31 02:00',
        '2029-02-01 02:00',
        '2029-03-01 00:00',
    ),
    (
        'end of Feb 2027 (28 days), 1 month',
        policy(months=1),
        '2027-02-28 02:00',
        '2027-03-01 02:00',
        '2027-04-01 00:00',
    ),
    ('end of Feb 2027, 1 day', policy(days=1), '2027-02-28 02:00', '2027-03-01 02:00', '2027-03-02 00:00'),
    ('Feb 28 2028 is not the month end', policy(months=1), '2028-02-28 02:00', '2028-02-29 02:00', None),
    ('Feb 28 -> leap day, 1 day', policy(days=1), '2028-02-28 02:00', '2028-02-29 02:00', '2028-03-01 00:00'),
    ('leap day -> Mar 1, 1 day', policy(days=1), '2028-02-29 02:00', '2028-03-01 02:00', '2028-03-02 00:00'),
    ('leap day -> Mar 1, 1 month', policy(months=1), '2028-02-29 02:00', '2028-03-01 02:00', '2028-04-01 00:00'),
    ('leap day -> Mar 1, 12 months', policy(months=12), '2028-02-29 02:00', '2028-03-01 02:00', '2029-03-01 00:00'),
    ('year end (also a week end)', GFS, '2028-12-31 02:00', '2029-01-01 02:00', '2030-01-01 00:00'),
    ('year end, 2 months', policy(months=2), '2028-12-31 02:00', '2029-01-01 02:00', '2029-03-01 00:00'),
    ('year end, 13 months', policy(months=13), '2028-12-31 02:00', '2029-01-01 02:00', '2030-02-01 00:00'),
    (
        'Nov end, 2 months: across the year',
        policy(months=2),
        '2028-11-30 02:00',
        '2028-12-01 02:00',
        '2029-02-01 00:00',
    ),
    ('many days: only the latest of each kind counts', GFS, '2028-01-10 02:00', '2028-03-20 12:00', '2029-03-01 00:00'),
    ('many days, no months', policy(7, 4), '2028-01-10 02:00', '2028-03-20 12:00', '2028-04-17 00:00'),
    ('many days, days only', policy(days=7), '2028-01-10 02:00', '2028-03-20 12:00', '2028-03-27 00:00'),
    (
        'replaced at midnight covers that midnight',
        policy(days=1),
        '2028-03-08 12:00',
        '2028-03-09 00:00',
        '2028-03-10 00:00',
    ),
    ('created at midnight does not cover it', policy(days=1), '2028-03-09 00:00', '2028-03-09 12:00', None),
    ('one second around midnight', policy(days=1), '2028-03-08 23:59:59', '2028-03-09 00:00:00', '2028-03-10 00:00'),
    ('within only', policy(within=3 * 86400), '2028-03-08 02:00', '2028-03-09 02:00', '2028-03-12 02:00'),
    (
        'within shorter than the daily promise',
        policy(days=1, within=HOUR),
        '2028-03-08 02:00',
        '2028-03-09 02:00',
        '2028-03-10 00:00',
    ),
    (
        'within longer than the daily promise',
        policy(days=1, within=3 * 86400),
        '2028-03-08 02:00',
        '2028-03-09 02:00',
        '2028-03-12 02:00',
    ),
    ('created after replaced (clocks apart)', GFS, '2028-03-09 02:00:05', '2028-03-09 02:00', None),
    (
        'created after replaced, within',
        policy(within=60),
        '2028-03-09 02:00:05',
        '2028-03-09 02:00',
        '2028-03-09 02:01',
    ),
]


@pytest.mark.parametrize('name, rule, created, replaced, expected', CASES, ids=[case[0] for case in CASES])
def test_delete_at_table(name, rule, created, replaced, expected):
    got = _retention.delete_at(rule, utc(created), utc(replaced))
    assert got == (None if expected is None else utc(expected)), name
    if got is not None:
        assert got > utc(replaced)
        assert isinstance(got, int)


def test_float_times_round_the_within_end_up():
    assert _retention.delete_at(policy(within=10), 990.25, 1000.5) == 1011
    day = utc('2028-03-09 00:00')
    assert _retention.delete_at(policy(days=2), day - 0.5, day + 0.5) == day + 2 * 86400


def test_kept_by_hand():
    versions = [
        (utc('2028-03-10 02:00'), utc('2028-03-11 02:00')),  # end of Fri 03-10
        (utc('2028-03-11 02:00'), utc('2028-03-11 09:00')),  # no point
        (utc('2028-03-11 09:00'), utc('2028-03-12 02:00')),  # end of Sat 03-11
        (utc('2028-03-12 02:00'), utc('2028-03-13 02:00')),  # end of Sun 03-12, of the week
        (utc('2028-03-13 02:00'), utc('2028-03-14 02:00')),  # current at now
    ]
    now = utc('2028-03-13 12:00')
    assert _retention.kept(policy(days=2), versions, now) == {versions[2], versions[3]}
    assert _retention.kept(policy(weeks=1), versions, now) == {versions[3]}
    assert _retention.kept(policy(within=11 * HOUR), versions, now) == {versions[3]}
    assert _retention.kept(policy(days=9, months=3), versions, now) == {versions[0], versions[2], versions[3]}


# --- a simulated year ------------------------------------------------------------------

START = utc('2027-12-01 00:00')
END = utc('2029-01-20 00:00')  # a leap day, two year ends, every month length

POLICIES = [
    GFS,
    policy(months=1),
    policy(days=1),
    policy(within=36 * HOUR),
    policy(days=3, within=5 * HOUR),
    policy(days=2, weeks=2, months=2, within=4 * 86400),
    policy(weeks=1, months=13),
]


def nightly(at):
    return list(range(START + at, END, 86400))


def irregular(seed):
    """Runs at random seconds, days skipped (sometimes for two weeks), some days several
    runs, some right at midnight or one second before it."""
    rng = random.Random(seed)
    runs = []
    day = START
    while day < END:
        roll = rng.random()
        if roll < 0.03:
            day += 86400 * rng.randint(2, 15)  # no run for days, then one at midnight
            runs.append(day)
        elif roll < 0.08:
            runs += [day, day + 86399]
        elif roll > 0.25:
            runs += [day + rng.randrange(86400) for _i in range(rng.choice((1, 1, 1, 2, 4)))]
        day += 86400
    return sorted(set(runs))


def instants(runs, expiries):
    """Each day's midnight and the seconds around it, every run and every expiry and the
    seconds around them: where a version enters or leaves history, or a promise ends."""
    checks = set()
    for moment in list(range(START, END, 86400)) + runs:
        checks.update((moment - 1, moment, moment + 1))
    for moment in expiries:
        checks.update((moment - 1, moment))
    return sorted(check for check in checks if START <= check < END)


@pytest.mark.parametrize(
    'runs',
    [nightly(2 * HOUR + 30 * 60), nightly(0), nightly(86399), irregular(1), irregular(2)],
    ids=['nightly 02:30', 'nightly 00:00', 'nightly 23:59:59', 'irregular 1', 'irregular 2'],
)
@pytest.mark.parametrize('rule', POLICIES, ids=[str(tuple(p)) for p in POLICIES])
def test_year_history_holds_exactly_what_the_policy_promises(rule, runs):
    # Each run replaces the object: the version created by the previous run enters history.
    versions = list(zip([START - 86400 * 3] + runs, runs))
    expiry = {version: _retention.delete_at(rule, *version) for version in versions}
    for now in instants(runs, [at for at in expiry.values() if at is not None]):
        held = {v for v in versions if v[1] <= now and expiry[v] is not None and expiry[v] > now}
        promised = _retention.kept(rule, versions, now)
        assert held == promised, (
            datetime.datetime.fromtimestamp(now, datetime.timezone.utc),
            sorted(held ^ promised),
        )


# --- the options ---------------------------------------------------------------------------


def test_parse_policy():
    assert _retention.parse_policy({'days': 7, 'weeks': 4, 'months': 12}) == Policy(7, 4, 12, 0)
    assert _retention.parse_policy({'months': '1'}) == Policy(0, 0, 1, 0)
    assert _retention.parse_policy(None, 3600) == Policy(0, 0, 0, 3600)
    assert _retention.parse_policy({'days': 0}, '60') == Policy(0, 0, 0, 60)


@pytest.mark.parametrize(
    'keep, within, message',
    [
        ({'days': -1}, None, "history.keep.days: -1 is not a number of days; write a whole number, 0 or more"),
        ({'weeks': True}, None, 'history.keep.weeks: True is not a number of weeks'),
        ({'months': 1.5}, None, 'history.keep.months: 1.5 is not a number of months'),
        ({'days': 'seven'}, None, "history.keep.days: 'seven' is not a number of days"),
        ({'day': 7, 'hours': 1}, None, 'history.keep: unknown key(s) day, hours; the keys are days, weeks, months'),
        ([7, 4, 12], None, 'history.keep: expected a dict such as {days: 7, weeks: 4, months: 12}'),
        ({'days': 1}, -5, 'history.within: -5 is not a number of seconds'),
        ({'days': 1}, '1d', "history.within: '1d' is not a number of seconds"),
        (None, None, 'history: the policy keeps no version; give keep.days, keep.weeks, keep.months or within'),
        ({'days': 0, 'weeks': 0}, 0, 'history: the policy keeps no version'),
    ],
)
def test_bad_policies_name_the_option_and_the_fix(keep, within, message):
    with pytest.raises(ArchiveError) as err:
        _retention.parse_policy(keep, within, 'history')
    assert err.value.message.startswith(message)


def test_policy_messages_without_a_group_name():
    with pytest.raises(ArchiveError, match=r'^keep\.days: '):
        _retention.parse_policy({'days': -1}, None, '')
