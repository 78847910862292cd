# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""History: the names of kept versions, which version was live when, and the plan that keeps
them (which versions are copied, with which expiry, and what becomes of their segments)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _history, _plan
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._retention import Policy

DAY = 86400


def utc(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc).timestamp()


def listed(name, when, size=3):
    """A 2.15.1 listing entry last modified at ``when`` (epoch seconds)."""
    moment = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
    return {'name': name, 'bytes': size, 'hash': 'h', 'last_modified': moment.strftime('%Y-%m-%dT%H:%M:%S.%f')}


@pytest.mark.parametrize(
    'epoch, text',
    [
        (utc('2026-12-04 22:30:00.123450'), '20261204T223000.123450Z'),
        (utc('2026-01-01 00:00:00'), '20260101T000000.000000Z'),
        (0.000001, '19700101T000000.000001Z'),
    ],
)
def test_stamps_sort_and_read_back(epoch, text):
    assert _history.stamp(epoch) == text
    assert _history.parse_stamp(text) == pytest.approx(epoch, abs=1e-6)


@pytest.mark.parametrize(
    'name, expected',
    [
        ('nightly/a.txt/20261204T223000.123450Z', ('nightly/a.txt', utc('2026-12-04 22:30:00.12345'))),
        # A directory marker's version: the marker name keeps its slash.
        ('nightly/empty//20261204T223000.000000Z', ('nightly/empty/', utc('2026-12-04 22:30:00'))),
        ('nightly/a.txt', None),
        ('nightly/a.txt/not-a-stamp', None),
        ('/20261204T223000.000000Z', None),
    ],
)
def test_version_names_split_back_into_name_and_creation(name, expected):
    found = _history.split_version(name)
    if expected is None:
        assert found is None
    else:
        assert found[0] == expected[0] and found[1] == pytest.approx(expected[1], abs=1e-6)


def test_the_listed_time_keeps_the_microseconds():
    assert _history.listed_time({'last_modified': '2026-12-04T22:30:00.123450'}) == pytest.approx(
        utc('2026-12-04 22:30:00.12345'), abs=1e-6
    )
    assert _history.listed_time({'last_modified': 'garbage'}) is None
    assert _history.listed_time({}) is None


@pytest.mark.parametrize('value', ['nan', 'inf', '-5', 'yesterday', '2026-13-01'])
def test_as_of_must_be_a_time(value):
    with pytest.raises(ArchiveError, match='^as_of: '):
        _history.parse_moment(value, 'as_of')


def test_as_of_reads_epoch_and_iso_8601():
    assert _history.parse_moment('1764000000.5', 'as_of') == 1764000000.5
    assert _history.parse_moment('2026-12-01T03:00:00Z', 'as_of') == utc('2026-12-01 03:00:00')
    assert _history.parse_moment('2026-12-01T12:00:00+09:00', 'as_of') == utc('2026-12-01 03:00:00')


def test_the_history_container_name_is_checked():
    assert _history.container_for('backups') == 'backups_history'
    assert _history.container_for('backups', 'vault') == 'vault'
    with pytest.raises(ArchiveError, match='history_container'):
        _history.container_for('backups', 'a/b')


# Three nights of one path: v1 created night 1, replaced night 2 by v2, replaced night 3 by
# the live v3; b.txt created night 1, deleted night 2 (its last version kept).
N1, N2, N3 = utc('2026-12-01 03:00'), utc('2026-12-02 03:00'), utc('2026-12-03 03:00')
LIVE = {'a.txt': listed('a.txt', N3), 'new.txt': listed('new.txt', N2)}
KEPT = _history.versions(
    [
        listed(_history.version_name('a.txt', N1), N2 + 1),
        listed(_history.version_name('a.txt', N2 + 2), N3 + 1),
        listed(_history.version_name('b.txt', N1), N2 + 3),
        listed(_history.version_name('new.txt', N2), N3 + 3600),
        {'name': 'a.txt/junk', 'last_modified': '2026-12-02T03:00:00.000000'},
    ]
)


@pytest.mark.parametrize(
    'moment, expected',
    [
        (N1 - 60, {}),
        (N1 + 60, {'a.txt': 'a.txt/20261201T030000.000000Z', 'b.txt': 'b.txt/20261201T030000.000000Z'}),
        (N2 + 60, {'a.txt': 'a.txt/20261202T030002.000000Z', 'new.txt': None}),
        (N3 + 60, {'a.txt': None, 'new.txt': None}),
        # A run killed after copying new.txt's live version, before replacing it: the
        # copy ('new.txt/..N2', kept below) does not hide the live object it copied.
        (N3 + 1800, {'a.txt': None, 'new.txt': None}),
        # Between a.txt's copy and its replacement's creation (the PUT after the copy):
        # neither version; b.txt, copied later, was still live.
        (N2 + 1.5, {'new.txt': None, 'b.txt': 'b.txt/20261201T030000.000000Z'}),
    ],
)
def test_each_path_is_restored_as_it_was_live(moment, expected):
    state = _history.live_at(LIVE, KEPT, moment)
    assert dict((name, version) for name, (_entry, version) in state.items()) == expected
    for name, (entry, _version) in state.items():
        assert entry['name'] == name


# --- the plan ----------------------------------------------------------------------------

NOW = utc('2026-12-04 03:00')
GFS = Policy(7, 4, 12, 0)


def upload_plan(listing, uploaded=(), deleted=(), markers=(), extra=()):
    actions = [('put_file', {'name': n, 'listed': n in listing}) for n in uploaded]
    actions += [('delete_listed', listing[n]) for n in deleted] + list(extra)
    return _plan.Plan(
        'r',
        {},
        {},
        actions,
        uploaded=list(uploaded),
        markers=list(markers),
        deleted=list(deleted),
        segments_deleted=sum(len(a[2]) for a in extra),
    )


def test_versions_replaced_or_deleted_are_copied_first_with_the_policys_expiry():
    listing = {'a': listed('a', NOW - 2 * DAY), 'b': listed('b', NOW - 2 * DAY), 'same': listed('same', 0)}
    plan = _plan.plan_history(
        upload_plan(listing, uploaded=['a', 'new'], deleted=['b']),
        listing,
        {},
        GFS,
        NOW,
        dict(container='c_history', exists=False),
    )
    # Created after the last weekly (Monday) and monthly (the 1st) points: kept for the daily
    # point it covers, last midnight, for 7 days.
    midnight = utc('2026-12-04 00:00')
    assert [a.kind for a in plan.actions[:3]] == ['create_history_container', 'keep_version', 'keep_version']
    assert plan.returns['history'] == [
        {'name': 'a', 'version': _history.version_name('a', NOW - 2 * DAY), 'delete_at': midnight + 7 * DAY},
        {'name': 'b', 'version': _history.version_name('b', NOW - 2 * DAY), 'delete_at': midnight + 7 * DAY},
    ]
    assert plan.reason == 'r, 2 versions kept in history'
    assert plan.after['kept_in_history'] == ['c_history/' + v['version'] for v in plan.returns['history']]
    assert plan.returns['history_container'] == 'c_history'


def test_a_version_the_policy_never_keeps_is_not_copied():
    listing = {'a': listed('a', NOW - 60)}  # created and replaced between two midnights
    plan = _plan.plan_history(
        upload_plan(listing, uploaded=['a']), listing, {}, Policy(7, 0, 0, 0), NOW, dict(container='h', exists=True)
    )
    assert plan.returns['history'] == [] and [a.kind for a in plan.actions] == ['put_file']
    assert plan.reason == 'r'


def test_a_version_never_outlives_its_own_expiry_and_its_segments_keep_theirs():
    listing = {'a': listed('a', NOW - 2 * DAY), 'b': listed('b', NOW - 2 * DAY)}
    own = int(NOW + 3 * DAY)
    segments = [('delete_replaced', 'a', ['/c_segments/a/1']), ('delete_replaced', 'b', ['/c_segments/b/1'])]
    plan = _plan.plan_history(
        upload_plan(listing, uploaded=['a', 'b'], extra=segments),
        listing,
        {'a': ({'delete_at': own}, []), 'b': ({'delete_at': None}, [])},
        Policy(0, 0, 0, 30 * DAY),
        NOW,
        dict(container='h', exists=True),
    )
    kept = dict((a.args[0], a.args[1:]) for a in plan.actions if a.kind == 'keep_version')
    assert kept['a'][1:] == (own, 0)
    assert kept['b'][1:] == (int(NOW + 30 * DAY), int(NOW + 30 * DAY))
    # The segments are not deleted: they expire with the version (or keep their own expiry).
    assert [a for a in plan.actions if a.kind in ('delete_replaced', 'expire_replaced')] == [
        ('expire_replaced', 'a', ['/c_segments/a/1'], 0),
        ('expire_replaced', 'b', ['/c_segments/b/1'], int(NOW + 30 * DAY)),
    ]
    assert plan.returns['segments_deleted'] == 0


def test_a_version_whose_name_would_be_too_long_fails_before_any_write():
    name = 'x' * 1020
    listing = {name: listed(name, NOW - 2 * DAY)}
    with pytest.raises(ArchiveError, match='history: the version of'):
        _plan.plan_history(
            upload_plan(listing, uploaded=[name]), listing, {}, GFS, NOW, dict(container='h', exists=True)
        )
