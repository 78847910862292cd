# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _swift
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError


@pytest.mark.parametrize(
    'name, fragment',
    [
        ('a/b', "must not contain '/'"),
        ('x' * 257, '257 bytes of UTF-8, the limit is 256'),
        ('\ud55c' * 86, '258 bytes of UTF-8'),  # 86 characters but 258 bytes
        ('', 'non-empty'),
        ('a\x00b', 'NUL'),
    ],
)
def test_bad_container_names_name_the_option(name, fragment):
    with pytest.raises(ArchiveError) as err:
        _swift.validate_container_name(name, 'container')
    assert err.value.message.startswith('container: ')
    assert fragment in err.value.message


def test_container_name_limit_counts_bytes_not_characters():
    assert _swift.validate_container_name('\ud55c' * 85) == '\ud55c' * 85  # 255 bytes


def test_object_name_limit_is_1024_bytes():
    _swift.validate_object_name('dir/' + 'x' * 1020)
    with pytest.raises(ArchiveError, match='1025 bytes'):
        _swift.validate_object_name('dir/' + 'x' * 1021, 'name')


def test_non_utf8_name_is_rejected():
    with pytest.raises(ArchiveError, match='not valid UTF-8'):
        _swift.validate_object_name('bad\udcff', 'name')


def test_metadata_keys_are_lowered_and_values_stringified():
    assert _swift.normalize_metadata({'Owner': 'dba', 'Keep-Days': 30}) == {'owner': 'dba', 'keep-days': '30'}


@pytest.mark.parametrize(
    'metadata, fragment',
    [
        ({'with_underscore': 'x'}, "only letters, digits and '-'"),
        ({'a': 'x', 'A': 'y'}, 'given twice'),
        ({'k' * 129: 'x'}, 'longer than 128 bytes'),
        ({'k': 'v' * 257}, 'longer than 256 bytes'),
        (dict(('k%d' % i, 'v') for i in range(91)), '91 items'),
        (dict(('k%d' % i, 'v' * 250) for i in range(17)), 'at most 4096 in total'),
        ({'k': 'a\nb'}, 'line breaks'),
        ({'k': True}, 'string or a number'),
    ],
)
def test_metadata_limits(metadata, fragment):
    with pytest.raises(ArchiveError) as err:
        _swift.normalize_metadata(metadata, 'metadata')
    assert err.value.message.startswith('metadata: ')
    assert fragment in err.value.message


def test_plan_metadata_merges_unless_purge():
    current = {'a': '1', 'b': '2'}
    assert _swift.plan_metadata(current, {'b': '3'}, False) == ({'b': '3'}, [], {'a': '1', 'b': '3'})
    assert _swift.plan_metadata(current, {'b': '2'}, True) == ({}, ['a'], {'b': '2'})
    assert _swift.plan_metadata(current, None, True) == ({}, [], current)


def test_container_metadata_headers_set_and_remove():
    assert _swift.container_metadata_headers({'a': '1'}, ['b']) == {
        'X-Container-Meta-a': '1',
        'X-Remove-Container-Meta-b': 'x',
    }


def test_acl_headers_only_for_differences():
    assert _swift.normalize_acl(' .r:* , .rlistings ') == '.r:*,.rlistings'
    assert _swift.acl_headers('.r:*', '', '.r:*', None) == {}
    assert _swift.acl_headers('.r:*', 'p:u', '', 'p:v') == {'X-Remove-Container-Read': 'x', 'X-Container-Write': 'p:v'}


def test_page_through_follows_markers_until_a_short_page():
    names = ['o%05d' % i for i in range(25)]
    calls = []

    def fetch(marker, limit):
        calls.append((marker, limit))
        start = names.index(marker) + 1 if marker else 0
        return [{'name': n} for n in names[start : start + limit]]

    assert [e['name'] for e in _swift.page_through(fetch, page_size=10)] == names
    assert calls == [(None, 10), ('o00009', 10), ('o00019', 10)]
    calls.clear()
    assert len(_swift.page_through(fetch, limit=12, page_size=10)) == 12
    assert calls == [(None, 10), ('o00009', 2)]


def test_parse_manifest_reads_swift_keys():
    body = json.dumps(
        [{'name': '/c_segments/o/1', 'bytes': 5, 'hash': 'abc', 'content_type': 'x', 'last_modified': 'y'}]
    ).encode()
    assert _swift.parse_manifest(body) == [{'name': '/c_segments/o/1', 'bytes': 5, 'hash': 'abc'}]
    with pytest.raises(ArchiveError, match='not valid JSON'):
        _swift.parse_manifest(b'<html>')


def test_parse_manifest_flags_nested_slos_and_ranges():
    body = json.dumps(
        [
            {'name': '/c/sub', 'bytes': 9, 'hash': 'e1', 'sub_slo': True},
            {'name': '/c/r', 'bytes': 4, 'hash': 'e2', 'range': '0-3'},
        ]
    )
    assert _swift.parse_manifest(body) == [
        {'name': '/c/sub', 'bytes': 9, 'hash': 'e1', 'sub_slo': True},
        {'name': '/c/r', 'bytes': 4, 'hash': 'e2', 'range': '0-3'},
    ]


def test_object_facts_unquote_etag_and_flag_slo():
    facts = _swift.object_facts(
        'c', 'o', {'etag': '"ABC"', 'content-length': '3', 'x-static-large-object': 'True', 'x-object-meta-Owner': 'me'}
    )
    assert facts['etag'] == 'abc' and facts['bytes'] == 3 and facts['is_slo']
    assert facts['metadata'] == {'owner': 'me'}


def test_bulk_delete_body_quotes_each_path():
    assert _swift.bulk_delete_body(['/c/a b', '/c/d/\u00e9']) == b'/c/a%20b\n/c/d/%C3%A9'


def test_bulk_delete_outcome_is_read_from_the_body():
    ok = json.dumps({'Response Status': '200 OK', 'Number Deleted': 3, 'Number Not Found': 1, 'Errors': []})
    assert _swift.parse_bulk_delete(ok) == (3, 1)
    bad = json.dumps({'Response Status': '400 Bad Request', 'Number Deleted': 0, 'Errors': [['/c/o', '409 Conflict']]})
    with pytest.raises(ArchiveError, match='400 Bad Request.*/c/o: 409 Conflict'):
        _swift.parse_bulk_delete(bad)


def test_segment_names_follow_the_swift_cli():
    prefix = _swift.segment_prefix('db/dump.gz', _swift.source_mtime(1795704267.7078493), 3670033, 1048576)
    assert prefix == 'db/dump.gz/slo/1795704267.707849/3670033/1048576/'
    assert _swift.segment_name(prefix, 3) == prefix + '00000003'
    assert _swift.versions_prefix('db/dump.gz') == 'db/dump.gz/slo/'


def test_slices_cover_the_file_with_an_odd_tail():
    assert _swift.slices(3670033, 1048576) == [
        (0, 0, 1048576),
        (1, 1048576, 1048576),
        (2, 2097152, 1048576),
        (3, 3145728, 524305),
    ]
    assert _swift.slices(2097152, 1048576) == [(0, 0, 1048576), (1, 1048576, 1048576)]
    assert _swift.slices(10, 1048576) == [(0, 0, 10)]


def test_default_segment_size_fits_max_manifest_segments():
    limits = dict(_swift.DEFAULT_LIMITS)
    assert _swift.choose_segment_size(1 << 30, limits) == 64 * _swift.MIB
    # 100 GiB / 1000 segments needs > 64 MiB: the next power of two is 128 MiB
    assert _swift.choose_segment_size(100 << 30, limits) == 128 * _swift.MIB
    limits['slo_max_manifest_segments'] = 10
    assert _swift.choose_segment_size(1 << 30, limits) == 128 * _swift.MIB


def test_requested_segment_size_that_needs_too_many_segments_names_the_smallest_that_works():
    with pytest.raises(ArchiveError) as err:
        _swift.choose_segment_size(6291456, dict(_swift.DEFAULT_LIMITS), 4096)
    assert err.value.message == (
        'segment_size 4096 would need 1536 segments, this server allows 1000: use segment_size 6292 or more'
    )
    assert _swift.choose_segment_size(6291456, dict(_swift.DEFAULT_LIMITS), 6292) == 6292


def test_manifest_body_and_slo_etag():
    segments = [
        {'name': 'o/slo/1/2/1/00000000', 'etag': 'a' * 32, 'bytes': 1},
        {'name': 'o/slo/1/2/1/00000001', 'etag': 'b' * 32, 'bytes': 1},
    ]
    assert json.loads(_swift.manifest_body('c_segments', segments)) == [
        {'path': '/c_segments/o/slo/1/2/1/00000000', 'etag': 'a' * 32, 'size_bytes': 1},
        {'path': '/c_segments/o/slo/1/2/1/00000001', 'etag': 'b' * 32, 'size_bytes': 1},
    ]
    assert _swift.slo_etag(['a' * 32, 'b' * 32]) == _swift.md5_hex(('a' * 32 + 'b' * 32).encode())


def test_object_post_repeats_an_existing_expiry():
    headers = _swift.object_post_headers({'owner': 'x'}, None, 1800000000)
    assert headers == {'X-Object-Meta-owner': 'x', 'X-Delete-At': '1800000000'}
    assert _swift.object_post_headers({}, 'text/plain', None) == {'Content-Type': 'text/plain'}


def test_only_a_listing_with_slo_etag_says_slo():
    assert _swift.listing_says_slo({'slo_etag': '"x"'})  # Swift 2.19 and later
    # Swift 2.15.1: an SLO lists as a plain object of its data's size.
    assert not _swift.listing_says_slo({'content_type': 'application/octet-stream', 'bytes': 10, 'hash': 'x'})
    assert (
        _swift.listing_content_type({'content_type': 'application/directory;swift_bytes=0'}) == 'application/directory'
    )


@pytest.mark.parametrize('name', ['..', '.', '../victim', 'a/../../b', './x', 'x/.', 'a/./b', 'a/..', '../'])
def test_object_names_with_dot_segments_are_refused(name):
    # requests/urllib3 would resolve them: c/../victim reaches the container victim
    with pytest.raises(ArchiveError) as err:
        _swift.validate_object_name(name, 'name')
    assert err.value.message.startswith('name: ')
    assert "'.' or '..' path segment" in err.value.message


@pytest.mark.parametrize('name', ['a..b', '...', '.hidden', 'dir/.profile', 'x/..y', 'a//b', '/abs', 'v1.2/file.tar'])
def test_dots_inside_a_segment_are_fine(name):
    assert _swift.validate_object_name(name) == name


@pytest.mark.parametrize('name', ['.', '..'])
def test_dot_container_names_are_refused(name):
    with pytest.raises(ArchiveError, match="^container: .* cannot be a container name"):
        _swift.validate_container_name(name, 'container')


def test_only_this_objects_old_segments_are_stale():
    now = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    entries = [
        {'name': 'db/slo/1.5/10/4/00000000', 'last_modified': '2027-01-14T07:59:59.5'},  # a day+
        {'name': 'db/slo/1.5/10/4/00000001', 'last_modified': '2027-01-15T07:59:00.0'},  # young
        {'name': 'db/slo/notes.txt', 'last_modified': '2020-01-01T00:00:00.0'},  # not a segment
        {'name': 'db/slo/1.5/10/4/../../x/00000000', 'last_modified': '2020-01-01T00:00:00'},
        {'name': 'db/slo/2.5/10/4/00000002', 'last_modified': ''},  # unknown age: kept
    ]
    assert _swift.stale_segments(entries, 'db', now, 86400) == ['db/slo/1.5/10/4/00000000']
    assert _swift.stale_segments(entries, 'db', now, 0) == ['db/slo/1.5/10/4/00000000', 'db/slo/1.5/10/4/00000001']
    assert _swift.stale_segments(entries, 'd', now, 0) == []  # another object's prefix


@pytest.mark.parametrize(
    'value, expected',
    [
        (None, None),
        ('never', 0),
        ('NEVER', 0),
        ('1800000000', 1800000000),
        (1800000000, 1800000000),
        ('2027-01-15T08:00:00Z', 1800000000),
        ('2027-01-15T08:00:00', 1800000000),
        ('2027-01-15T17:00:00+09:00', 1800000000),
        ('2027-01-15', 1799971200),
    ],
)
def test_delete_at_takes_epochs_iso_dates_and_never(value, expected):
    assert _swift.parse_delete_at(value) == expected


def test_delete_at_names_itself_when_unreadable():
    with pytest.raises(ArchiveError, match="^delete_at: 'next week' is neither epoch seconds"):
        _swift.parse_delete_at('next week')


@pytest.mark.parametrize(
    'current, delete_at, delete_after, rewritten, expected',
    [
        (None, None, None, False, None),  # not managed
        (500, None, None, True, None),  # not managed: a PUT stores none
        (None, None, 60, False, 1060),  # no expiry yet: now + 60
        (500, None, 60, False, 500),  # an existing expiry is kept: re-runs change nothing
        (500, None, 60, True, 1060),  # a new version counts from now
        (500, 2000, None, False, 2000),  # absolute
        (500, 0, None, False, 0),  # never
    ],
)
def test_plan_expiry(current, delete_at, delete_after, rewritten, expected):
    assert _swift.plan_expiry(current, delete_at, delete_after, 1000.5, rewritten) == expected


def test_temp_url_signs_the_unquoted_path_with_the_digest_the_server_allows():
    import hashlib
    import hmac

    url = _swift.temp_url(
        'https://host:8080/v1/AUTH_p/',
        'c',
        'dir/a b\u00e9',
        'GET',
        1800000000,
        'key',
        _swift.temp_url_digest({'tempurl_digests': ['sha256']}),
    )
    base, _sep, query = url.partition('?')
    assert base == 'https://host:8080/v1/AUTH_p/c/dir/a%20b%C3%A9'
    body = 'GET\n1800000000\n/v1/AUTH_p/c/dir/a b\u00e9'.encode('utf-8')
    assert query == 'temp_url_sig=%s&temp_url_expires=1800000000' % hmac.new(b'key', body, hashlib.sha256).hexdigest()
    assert _swift.temp_url_digest({}) == 'sha1'  # no /info tempurl section: what Pike accepts


def test_temp_url_behind_a_gateway_prefix_signs_the_path_swift_sees():
    """NAVER's API gateway serves Swift under /swift/v1/...: the URL keeps the prefix, the
    signature covers /v1/... (the path the proxy's tempurl middleware checks)."""
    import hashlib
    import hmac

    url = _swift.temp_url('https://gw.example/swift/v1/AUTH_p', 'c', 'v1/x', 'GET', 1800000000, 'key', 'sha1')
    base, _sep, query = url.partition('?')
    assert base == 'https://gw.example/swift/v1/AUTH_p/c/v1/x'
    body = b'GET\n1800000000\n/v1/AUTH_p/c/v1/x'
    assert query == 'temp_url_sig=%s&temp_url_expires=1800000000' % hmac.new(b'key', body, hashlib.sha1).hexdigest()


@pytest.mark.parametrize('value', ['a\r\nX-Evil: 1', 'text/plain\n', 'a\x00b'])
def test_header_values_with_line_breaks_are_refused_without_echoing_them(value):
    with pytest.raises(ArchiveError) as err:
        _swift.check_header_value(value, 'temp_url_key')
    assert err.value.message == ('temp_url_key must not contain line breaks or NUL: it is sent as an HTTP header')


def test_newest_entry_skips_markers_and_subdirs_and_gives_the_age():
    entries = [
        {
            'name': 'n/',
            'bytes': 0,
            'content_type': 'application/directory',
            'last_modified': '2026-12-03T05:00:00.000000',
        },
        {'subdir': 'n/logs/'},
        {'name': 'n/old.dump', 'bytes': 5, 'content_type': 'x', 'last_modified': '2026-12-01T02:00:00.000000'},
        {'name': 'n/new.dump', 'bytes': 7, 'content_type': 'x', 'last_modified': '2026-12-03T02:00:00.250000'},
        {
            'name': 'n/empty.log',
            'bytes': 0,
            'content_type': 'text/plain',
            'last_modified': '2026-12-02T00:00:00.000000',
        },
    ]
    now = _swift.listing_time({'last_modified': '2026-12-04T03:00:00.000000'})
    assert _swift.newest_entry(entries, now) == {
        'name': 'n/new.dump',
        'bytes': 7,
        'last_modified': '2026-12-03T02:00:00.250000',
        'age_seconds': 25 * 3600,
    }
    assert _swift.newest_entry(entries[:2], now) is None
    assert _swift.newest_entry([], now) is None
