# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_errors: what a user may see of a failure (no token, password or signed query), and the
limits assumed of a cluster whose /info says little (Swift 2.15.1's)."""

from __future__ import annotations

import pytest
from swiftclient.exceptions import ClientException

from ansible_collections.ncloud.archive.plugins.module_utils._errors import (
    DEFAULT_LIMITS,
    ArchiveError,
    parse_limits,
    scrub,
)
from ansible_collections.ncloud.archive.plugins.modules import archive_object
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift

# --- scrub ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    'text, secret, kept',
    [
        (
            'Unable to connect to https://AKID:s3cr3t@kr.example:5000/v3/auth/tokens',
            'AKID:s3cr3t',
            'https://kr.example:5000/v3/auth/tokens',
        ),
        ('GET http://user@10.0.0.1/v1/AUTH_p/c/o failed', 'user@', 'http://10.0.0.1/v1/AUTH_p/c/o failed'),
        (
            'GET https://h/v1/AUTH_p/c/o?temp_url_sig=abc123&temp_url_expires=9 403',
            'temp_url_sig=abc123',
            'GET https://h/v1/AUTH_p/c/o 403',
        ),
        ('headers: X-Auth-Token: gAAAA-tok-1', 'gAAAA-tok-1', 'headers: X-Auth-Token: <redacted>'),
        ("{'x-auth-token': 'gAAAA-tok-2', 'a': 'b'}", 'gAAAA-tok-2', "{'x-auth-token': '<redacted>', 'a': 'b'}"),
        ('{"X-Subject-Token": "gAAAA-tok-3"}', 'gAAAA-tok-3', '{"X-Subject-Token": "<redacted>"}'),
        ('X-Storage-Token=gAAAA-tok-4 next', 'gAAAA-tok-4', 'X-Storage-Token=<redacted> next'),
        ('x-auth-token:gAAAA-tok-5,other', 'gAAAA-tok-5', 'x-auth-token:<redacted>,other'),
    ],
)
def test_scrub_removes_credentials_signed_queries_and_tokens(text, secret, kept):
    out = scrub(text)
    assert secret not in out
    assert kept in out


@pytest.mark.parametrize(
    'text',
    [
        "container 'logs' does not exist: create it with ncloud.archive.archive_container",
        'HTTP 413 Request Entity Too Large; user@host is not a URL',
        'a token of 3 letters',
    ],
)
def test_scrub_leaves_plain_messages_alone(text):
    assert scrub(text) == text


def test_scrub_takes_anything_printable():
    assert scrub(ValueError('https://a:b@h/x?k=v')) == 'https://h/x'


def test_an_archive_error_keeps_status_and_transaction_id():
    err = ArchiveError('HEAD failed', 404, 'tx1')
    assert (str(err), err.message, err.status, err.transaction_id) == ('HEAD failed', 'HEAD failed', 404, 'tx1')
    assert (ArchiveError('x').status, ArchiveError('x').transaction_id) == (None, None)


def test_a_failing_module_shows_neither_token_nor_signed_query(run_module, tmp_path):
    """What a user sees of a server error whose body repeats the token and a signed URL."""
    fake = FakeSwift()
    fake.add_container('c')
    body = 'denied for X-Auth-Token: %s at https://h/v1/AUTH_p1/c/o?temp_url_sig=deadbeef' % fake.token

    def refuse(*_args, **_kwargs):
        raise ClientException(
            'Object HEAD failed', http_status=403, http_reason='Forbidden', http_response_content=body
        )

    fake.head_object = refuse
    result, failed = run_module(archive_object.main, fake, container='c', name='o', content='x')
    assert failed
    assert 'HTTP 403 Forbidden' in result['msg'] and 'X-Auth-Token: <redacted>' in result['msg']
    shown = repr(result)
    assert fake.token not in shown and 'deadbeef' not in shown and 's3cr3t-key' not in shown


# --- limits -----------------------------------------------------------------------------


def test_no_info_means_swift_defaults_and_every_middleware_assumed():
    limits = parse_limits({})
    assert dict((k, limits[k]) for k in DEFAULT_LIMITS) == DEFAULT_LIMITS
    assert limits['slo'] is True and limits['tempurl'] is True and 'tempurl_digests' not in limits
    assert limits['slo_max_manifest_size'] == 2 * 1024 * 1024  # 2.15.1's, not 2.17's 8 MiB


def test_info_of_swift_2_15_1_signs_with_sha1():
    """Pike's /info: tempurl without allowed_digests (added in 2.17), slo, bulk_delete."""
    info = {
        'swift': {'container_listing_limit': 10000, 'max_file_size': 5368709122},
        'slo': {'max_manifest_segments': 1000, 'max_manifest_size': 2097152, 'min_segment_size': 1},
        'tempurl': {'methods': ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']},
        'bulk_delete': {'max_deletes_per_request': 10000},
    }
    limits = parse_limits(info)
    assert limits['tempurl'] is True and 'tempurl_digests' not in limits
    assert limits['bulk_delete'] is True and limits['bulk_max_deletes_per_request'] == 10000


def test_info_values_are_taken_when_they_are_numbers_and_middleware_when_listed():
    info = {
        'swift': {'container_listing_limit': 1000, 'max_meta_count': 'lots', 'max_file_size': None},
        'slo': {'max_manifest_size': 8388608, 'min_segment_size': '1'},
        'tempurl': {'allowed_digests': ['sha1', 'sha256', 'sha512']},
        'bulk_delete': {},
    }
    limits = parse_limits(info)
    assert limits['container_listing_limit'] == 1000
    assert limits['max_meta_count'] == DEFAULT_LIMITS['max_meta_count']
    assert limits['max_file_size'] == DEFAULT_LIMITS['max_file_size']
    assert limits['slo_max_manifest_size'] == 8388608 and limits['slo_min_segment_size'] == 1
    assert limits['tempurl_digests'] == ['sha1', 'sha256', 'sha512']
    assert limits['bulk_delete'] is True
    assert limits['bulk_max_deletes_per_request'] == DEFAULT_LIMITS['bulk_max_deletes_per_request']
    # An /info that lists other middleware and not these: no SLO, no temp URLs, no bulk delete.
    bare = parse_limits({'swift': {}})
    assert (bare['slo'], bare['tempurl'], bare['bulk_delete']) == (False, False, False)
