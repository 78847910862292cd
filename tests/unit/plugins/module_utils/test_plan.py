# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner: tables of observed facts and desired states, and the plan each gives."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _hash, _plan, _swift
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError

DATA = b'0123456789' * 10


def md5(data):
    return hashlib.md5(data).hexdigest()


def plain(data, **extra):
    return dict(
        {
            'container': 'c',
            'name': 'o',
            'etag': md5(data),
            'bytes': len(data),
            'content_type': 'text/plain',
            'last_modified': 'x',
            'metadata': {},
            'is_slo': False,
        },
        **extra,
    )


def slo(data, size, **extra):
    return dict(plain(data), etag='e' * 32, is_slo=True, **extra)


def manifest(data, size):
    return [
        {'name': '/c_segments/o/%d' % i, 'bytes': len(data[i : i + size]), 'hash': md5(data[i : i + size])}
        for i in range(0, len(data), size)
    ]


@pytest.fixture
def local_file(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(DATA)
    return _hash.Local(str(path))


# --- identity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    'remote, segments, quick, expected',
    [
        (None, None, False, False),
        (plain(DATA), None, False, True),
        (plain(DATA[:-1] + b'x'), None, False, False),  # same size, other md5
        (plain(DATA + b'x'), None, False, False),  # other size: no hashing needed
        (slo(DATA, 30), manifest(DATA, 30), False, True),  # cut at the manifest's sizes
        (slo(DATA, 30), manifest(DATA[:-1] + b'x', 30), False, False),
        (slo(DATA, 30), None, False, False),  # an SLO without its manifest
        (slo(DATA, 30, metadata={'mtime': 'M'}), manifest(b'y' * 100, 30), True, True),  # quick
        (slo(DATA, 30, metadata={'mtime': 'other'}), manifest(b'y' * 100, 30), True, False),
        (slo(DATA, 30), [dict(s, range='0-9') for s in manifest(DATA, 30)], False, False),
    ],
    ids=[
        'absent',
        'plain-same',
        'plain-other-md5',
        'plain-other-size',
        'slo-same',
        'slo-other-segment',
        'slo-no-manifest',
        'slo-quick-same-mtime',
        'slo-quick-other-mtime',
        'slo-ranges-not-comparable',
    ],
)
def test_identical(local_file, remote, segments, quick, expected):
    local_file.mtime = 'M'
    assert _plan.identical(remote, local_file, segments, quick=quick) is expected


def test_bytes_are_identical_by_their_md5():
    assert _plan.identical(plain(b'abc'), _hash.Local(data=b'abc'))
    assert not _plan.identical(slo(b'abc', 1), _hash.Local(data=b'abc'), manifest(b'abc', 1))


# --- archive_object ---------------------------------------------------------------------

DESIRED = dict(
    overwrite='different', metadata=None, purge_metadata=False, content_type=None, delete_at=None, delete_after=None
)


@pytest.mark.parametrize(
    'before, segments, desired, reason, verbs',
    [
        (None, None, {}, 'absent', ['put']),
        (plain(DATA), None, {}, 'identical', []),
        (plain(DATA), None, {'overwrite': 'always'}, 'overwrite=always', ['put']),
        (plain(b'x'), None, {'overwrite': 'never'}, 'present, overwrite=never', []),
        (plain(b'x'), None, {}, 'content differs', ['put']),
        (plain(DATA), None, {'metadata': {'a': '1'}}, 'metadata differs', ['post']),
        (
            plain(DATA, metadata={'a': '1'}),
            None,
            {'metadata': {}, 'purge_metadata': True},
            'metadata differs',
            ['post'],
        ),
        (plain(DATA), None, {'content_type': 'text/x-log'}, 'content type differs', ['post']),
        (plain(DATA), None, {'delete_at': 2000000000}, 'expiry not set', ['post']),
        (plain(DATA, delete_at=1900000000), None, {'delete_at': 2000000000}, 'expiry differs', ['post']),
        (plain(DATA, delete_at=1900000000), None, {'delete_after': 60}, 'identical', []),
        (slo(b'y' * 100, 30), manifest(b'y' * 100, 30), {}, 'content differs', ['put', 'delete_segments']),
        (slo(DATA, 30), manifest(DATA, 30), {}, 'identical', []),
    ],
    ids=[
        'absent',
        'identical',
        'always',
        'never',
        'differs',
        'metadata',
        'purge',
        'content-type',
        'expiry-set',
        'expiry-moved',
        'delete-after-kept',
        'replaces-slo',
        'same-as-slo',
    ],
)
def test_plan_object(local_file, before, segments, desired, reason, verbs):
    plan = _plan.plan_object('c', 'o', before, segments, local_file, dict(DESIRED, **desired), now=1000)
    assert plan.reason == reason
    assert [a[0] for a in plan.actions] == verbs
    assert plan.changed is bool(verbs)
    if 'delete_segments' in verbs:
        assert plan.returns == {'segments_deleted': 4}
        assert plan.actions[1][1] == [s['name'] for s in segments]


def test_plan_object_post_repeats_an_existing_expiry(local_file):
    plan = _plan.plan_object(
        'c', 'o', plain(DATA, delete_at=1900000000), None, local_file, dict(DESIRED, metadata={'a': '1'}), now=1000
    )
    assert list(plan.actions) == [('post', {'X-Object-Meta-a': '1', 'X-Delete-At': '1900000000'})]
    assert plan.after['delete_at'] == 1900000000 and plan.after['metadata'] == {'a': '1'}


def test_plan_object_put_headers_and_predicted_facts(local_file):
    plan = _plan.plan_object(
        'c', 'd/o.txt', None, None, local_file, dict(DESIRED, metadata={'a': '1'}, delete_after=60), now=1000
    )
    # Absolute: Swift 2.15.1 computes X-Delete-After per replica.
    assert list(plan.actions) == [('put', {'X-Object-Meta-a': '1', 'X-Delete-At': '1060'}, 'text/plain')]
    assert plan.after == {
        'container': 'c',
        'name': 'd/o.txt',
        'etag': md5(DATA),
        'bytes': 100,
        'content_type': 'text/plain',
        'last_modified': '',
        'metadata': {'a': '1'},
        'is_slo': False,
        'delete_at': 1060,
    }


@pytest.mark.parametrize(
    'before, segments, verbs, result',
    [
        (None, None, [], {}),
        (plain(DATA), None, ['delete'], {}),
        (slo(DATA, 30), manifest(DATA, 30), ['delete_slo'], {'segments_deleted': 4}),
    ],
)
def test_plan_object_absent(before, segments, verbs, result):
    plan = _plan.plan_object_absent(before, segments)
    assert [a[0] for a in plan.actions] == verbs and plan.returns == result


@pytest.mark.parametrize(
    'dest, overwrite, remote, reason',
    [
        (False, 'different', plain(DATA), 'dest absent'),
        (True, 'different', plain(DATA), 'identical'),
        (True, 'different', plain(b'x'), 'content differs'),
        (True, 'never', plain(b'x'), 'identical'),
        (True, 'always', plain(DATA), 'overwrite=always'),
    ],
)
def test_plan_download(local_file, dest, overwrite, remote, reason):
    plan = _plan.plan_download(remote, None, local_file if dest else None, overwrite)
    assert plan.reason == reason and plan.changed is (reason != 'identical')


# --- archive_container ------------------------------------------------------------------

CONTAINER = {
    'name': 'c',
    'object_count': 0,
    'bytes': 0,
    'metadata': {'owner': 'dba'},
    'read_acl': '',
    'write_acl': '',
    'quota_bytes': None,
    'quota_count': None,
    'temp_url_key_set': False,
    'temp_url_key_2_set': False,
}
WANT = dict(
    state='present',
    metadata=None,
    purge_metadata=False,
    read_acl=None,
    write_acl=None,
    quotas={'quota_bytes': None, 'quota_count': None},
    temp_url_keys={'temp_url_key': None, 'temp_url_key_2': None},
    force=False,
)


@pytest.mark.parametrize(
    'before, keys, desired, reason, actions',
    [
        (None, {}, {}, 'container absent', [('create', {})]),
        (CONTAINER, {}, {}, 'container present with the same settings', []),
        (CONTAINER, {}, {'metadata': {'owner': 'dba'}}, 'container present with the same settings', []),
        (
            CONTAINER,
            {},
            {'metadata': {'owner': 'ops'}},
            'metadata differs',
            [('update', {'X-Container-Meta-owner': 'ops'})],
        ),
        (
            CONTAINER,
            {},
            {'metadata': {}, 'purge_metadata': True},
            'metadata differs',
            [('update', {'X-Remove-Container-Meta-owner': 'x'})],
        ),
        (CONTAINER, {}, {'read_acl': '.r:*'}, 'ACL differs', [('update', {'X-Container-Read': '.r:*'})]),
        (
            CONTAINER,
            {},
            {'quotas': {'quota_bytes': 10, 'quota_count': None}},
            'quota differs',
            [('update', {'X-Container-Meta-quota-bytes': '10'})],
        ),
        (
            CONTAINER,
            {'temp_url_key': 'k1'},
            {'temp_url_keys': {'temp_url_key': 'k1', 'temp_url_key_2': None}},
            'container present with the same settings',
            [],
        ),
        (
            CONTAINER,
            {'temp_url_key': 'k1'},
            {'temp_url_keys': {'temp_url_key': 'k2', 'temp_url_key_2': None}},
            'temp URL key differs',
            [('update', {'X-Container-Meta-temp-url-key': 'k2'})],
        ),
        (None, {}, {'state': 'absent'}, 'container already absent', []),
        (CONTAINER, {}, {'state': 'absent'}, 'container present', [('delete',)]),
        (
            dict(CONTAINER, object_count=3),
            {},
            {'state': 'absent', 'force': True},
            'container present',
            [('empty',), ('delete',)],
        ),
    ],
    ids=[
        'create',
        'same',
        'same-metadata',
        'metadata',
        'purge',
        'acl',
        'quota',
        'key-same',
        'key-new',
        'gone',
        'delete',
        'delete-forced',
    ],
)
def test_plan_container(before, keys, desired, reason, actions):
    plan = _plan.plan_container('c', before, keys, dict(WANT, **desired))
    assert plan.reason == reason and list(plan.actions) == actions


def test_a_non_empty_container_is_not_deleted_without_force():
    with pytest.raises(ArchiveError, match="still holds 3 object.s.: set force=true"):
        _plan.plan_container('c', dict(CONTAINER, object_count=3), {}, dict(WANT, state='absent'))


# --- archive_slo ------------------------------------------------------------------------


@pytest.mark.parametrize(
    'remote, segments, checksum, reason',
    [
        (None, None, False, 'absent'),
        (plain(DATA), None, False, 'stored as a plain object'),
        (slo(DATA + b'x', 30), manifest(DATA + b'x', 30), False, 'content differs'),
        (slo(DATA, 30, metadata={'mtime': 'M'}), manifest(b'y' * 100, 30), False, None),
        (slo(DATA, 30, metadata={'mtime': 'M'}), manifest(b'y' * 100, 30), True, 'content differs'),
        (slo(DATA, 30), manifest(DATA, 30), True, None),
    ],
)
def test_slo_reason(local_file, remote, segments, checksum, reason):
    local_file.mtime = 'M'
    assert _plan.slo_reason(remote, segments, local_file, checksum) == reason


def test_slo_jobs_reuse_only_segments_with_this_slice(local_file):
    existing = {
        'p/00000000': {'bytes': 30, 'hash': md5(DATA[:30])},
        'p/00000001': {'bytes': 30, 'hash': md5(b'other')},
        'p/00000003': {'bytes': 9, 'hash': md5(DATA[90:])},
    }
    upload, reused = _plan.slo_jobs(local_file, 'p/', 30, existing)
    assert [j['name'] for j in reused] == ['p/00000000']
    assert [(j['name'], j['offset'], j['bytes']) for j in upload] == [
        ('p/00000001', 30, 30),
        ('p/00000002', 60, 30),
        ('p/00000003', 90, 10),
    ]


def test_obsolete_segments_are_the_replaced_and_the_long_stale():
    old = '2020-01-01T00:00:00.000000'
    young = '2026-12-01T00:00:00.000000'
    listing = [
        {'name': 'o/slo/1.0/9/9/00000000', 'last_modified': old},
        {'name': 'o/slo/2.0/9/9/00000000', 'last_modified': young},
        {'name': 'o/slo/3.0/9/9/00000000', 'last_modified': old},
        {'name': 'other/slo/1.0/9/9/00000000', 'last_modified': old},
    ]
    obsolete = _plan.obsolete_segments(
        [{'name': '/s/o/slo/2.0/9/9/00000000'}],
        's',
        listing,
        'o',
        keep=['/s/o/slo/3.0/9/9/00000000'],
        now=1764547200 + 3600,
        max_age=86400,
        own_prefix='o/slo/3.0/9/9/',
    )
    assert obsolete == ['/s/o/slo/1.0/9/9/00000000', '/s/o/slo/2.0/9/9/00000000']


def test_obsolete_segments_include_young_versions_marked_written():
    young = '2026-12-01T00:00:00.000000'
    listing = [
        {'name': 'o/slo/4.0/9/9/00000000', 'last_modified': young},
        {'name': 'o/slo/4.0/9/9/00000001', 'last_modified': young},
        {'name': 'o/slo/4.0/9/9/written', 'last_modified': young},
        # young, unmarked: an upload that may still be under way
        {'name': 'o/slo/5.0/9/9/00000000', 'last_modified': young},
        # this run's own version, marked by this run
        {'name': 'o/slo/6.0/9/9/00000000', 'last_modified': young},
        {'name': 'o/slo/6.0/9/9/written', 'last_modified': young},
        # another object's marked version
        {'name': 'o2/slo/1.0/9/9/00000000', 'last_modified': young},
        {'name': 'o2/slo/1.0/9/9/written', 'last_modified': young},
    ]
    obsolete = _plan.obsolete_segments(
        [], 's', listing, 'o', keep=[], now=1764547200 + 3600, max_age=86400, own_prefix='o/slo/6.0/9/9/'
    )
    assert obsolete == ['/s/o/slo/4.0/9/9/00000000', '/s/o/slo/4.0/9/9/00000001']
    assert _swift.finished_versions(listing, 'o', 'o/slo/6.0/9/9/')[1] == ['o/slo/4.0/9/9/written']


def test_plan_slo_converge_posts_only_what_differs():
    before = slo(DATA, 30, metadata={'mtime': 'M'}, delete_at=100)
    segments = manifest(DATA, 30)
    expiries = dict((s['name'], 100) for s in segments)
    same = _plan.plan_slo_converge(before, segments, {'mtime': 'M'}, 'text/plain', 100, expiries)
    assert same.reason == 'identical' and list(same.actions) == []
    assert same.returns['segment_size'] == 30 and same.returns['segments_expiry_changed'] == 0
    expiries[segments[2]['name']] = 0
    moved = _plan.plan_slo_converge(before, segments, {'mtime': 'M'}, 'text/plain', 100, expiries)
    assert moved.reason == 'segment expiry differs'
    assert list(moved.actions) == [('expire_segments', [segments[2]['name']], 100)]


def test_plan_slo_absent_refuses_a_plain_object():
    with pytest.raises(ArchiveError, match='is a plain object, not an SLO'):
        _plan.plan_slo_absent('c', plain(DATA), [])
    assert _plan.plan_slo_absent('c', None, None).returns == {'segments': [], 'segments_deleted': 0}


# --- trees ------------------------------------------------------------------------------


def test_plan_sync_upload_refuses_to_delete_a_dot_segment_name():
    """A listed name put there by another tool ('t/../victim') would reach another object
    through a one-by-one DELETE: delete_extra refuses it before any request."""
    listing = {'t/../victim': {'name': 't/../victim', 'bytes': 1, 'hash': md5(b'x')}}
    with pytest.raises(ArchiveError, match='delete_extra'):
        _plan.plan_sync_upload(
            [],
            [],
            listing,
            {},
            {},
            dict(compare='checksum', delete_extra=True, wanted=set(), deletable=set(listing), skipped=[]),
        )


def test_plan_object_post_of_delete_after_is_absolute(local_file):
    """An object without expiry gets now + delete_after as X-Delete-At, never X-Delete-After."""
    before = dict(_plan.listed_facts({'name': 'd/o.txt', 'bytes': 100, 'hash': md5(DATA)}), content_type='text/plain')
    plan = _plan.plan_object('c', 'd/o.txt', before, [], local_file, dict(DESIRED, delete_after=60), now=1000)
    assert list(plan.actions) == [('post', {'X-Delete-At': '1060'})]


def test_segments_of_a_large_object_a_small_file_replaces_are_an_action_of_the_plan(local_file):
    """A listed SLO replaced by a small file: the plan names its segments, to delete after
    the PUT; a replaced plain object and a DLO over a whole container add nothing."""
    files = [
        {'name': 't/%s' % n, 'rel': n, 'local': local_file, 'large': False} for n in ('slo', 'plain', 'dlo', 'new')
    ]
    listing = dict(
        (f['name'], {'name': f['name'], 'bytes': 3, 'hash': md5(b'old')}) for f in files if f['rel'] != 'new'
    )
    desired = dict(compare='checksum', delete_extra=False, wanted=set(), deletable=set(), skipped=[])
    plan = _plan.plan_sync_upload([], files, listing, {}, {}, desired)
    assert plan.returns['segments_deleted'] == 0
    assert _plan.replaced_by_files(plan) == ['t/slo', 't/plain', 't/dlo']
    segments = [{'name': '/c_segments/t/slo/1/3/1/%08d' % i, 'bytes': 1, 'hash': md5(b'x')} for i in range(3)]
    found = {
        't/slo': (dict(slo(b'old', 1), name='t/slo'), segments),
        't/plain': (plain(b'old'), []),
        't/dlo': (dict(plain(b''), is_slo=False, dlo_manifest='whole_container/'), segments[:1]),
    }
    replaced = _plan.plan_replaced_segments(plan, found)
    assert [a for a in replaced.actions if a.kind == 'delete_replaced'] == [
        ('delete_replaced', 't/slo', [s['name'] for s in segments])
    ]
    assert replaced.returns['segments_deleted'] == 3 and replaced.reason == plan.reason
    assert replaced.actions[: len(plan.actions)] == plan.actions
