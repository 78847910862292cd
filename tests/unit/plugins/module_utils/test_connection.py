# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from keystoneauth1 import exceptions as ks_exceptions
from swiftclient.exceptions import ClientException

from ansible_collections.ncloud.archive.plugins.module_utils import _connection


def test_scrub_removes_userinfo_query_and_tokens():
    text = ("Unable to connect to https://AKID:s3cr3t@kr.example:5000/v3/auth/tokens?x=1 "
            "with X-Auth-Token: gAAAAAB-token")
    out = _connection.scrub(text)
    assert 's3cr3t' not in out and 'AKID' not in out and 'x=1' not in out
    assert 'gAAAAAB-token' not in out
    assert 'https://kr.example:5000/v3/auth/tokens' in out


def test_swift_error_has_status_hint_and_transaction_id():
    exc = ClientException('Object PUT failed', http_status=413, http_reason='Request Entity Too Large',
                          http_response_headers={'X-Trans-Id': 'tx123'})
    err = _connection.describe_error(exc, "PUT object 'big' in 'c'")
    assert err.status == 413 and err.transaction_id == 'tx123'
    assert err.message.startswith("PUT object 'big' in 'c' failed: HTTP 413")
    assert 'archive_slo' in err.message and 'tx123' in err.message


def test_keystone_401_names_the_credentials_to_check():
    err = _connection.describe_error(ks_exceptions.Unauthorized(http_status=401), 'HEAD account')
    assert err.status == 401
    assert 'check access_key, secret_key, project_id and domain_id' in err.message


def test_keystone_connect_failure_is_scrubbed():
    exc = ks_exceptions.ConnectFailure('Unable to establish connection to https://u:pw@host:5000/v3/auth/tokens')
    err = _connection.describe_error(exc, 'HEAD account')
    assert 'pw@' not in err.message and 'could not connect to auth_url' in err.message


def test_limits_fall_back_to_swift_defaults():
    limits = _connection.parse_limits({})
    assert limits['slo_max_manifest_segments'] == 1000
    assert limits['max_file_size'] == 5368709122
    info = {'swift': {'max_file_size': 100, 'container_listing_limit': 500},
            'slo': {'max_manifest_segments': 10},
            'bulk_delete': {'max_deletes_per_request': 50}}
    limits = _connection.parse_limits(info)
    assert (limits['max_file_size'], limits['container_listing_limit']) == (100, 500)
    assert limits['slo_max_manifest_segments'] == 10 and limits['slo']
    assert limits['bulk_delete'] and limits['bulk_max_deletes_per_request'] == 50
