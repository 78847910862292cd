# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from unittest import mock

from swiftclient.exceptions import ClientException

from ansible_collections.ncloud.archive.plugins.modules import archive_container

HEAD = {
    'x-container-object-count': '2',
    'x-container-bytes-used': '10',
    'x-container-meta-owner': 'dba',
    'x-container-read': '.r:*',
}


def missing():
    return ClientException('Container HEAD failed', http_status=404)


def test_check_mode_predicts_create_without_writing(run_module):
    conn = mock.Mock()
    conn.head_container.side_effect = missing()
    result, failed = run_module(
        archive_container.main, conn, name='c', metadata={'Owner': 'x'}, _ansible_check_mode=True, _ansible_diff=True
    )
    assert not failed and result['changed']
    assert result['changed_reason'] == 'container absent'
    assert result['diff'] == {
        'before': {},
        'after': {
            'name': 'c',
            'metadata': {'owner': 'x'},
            'read_acl': '',
            'write_acl': '',
            'quota_bytes': None,
            'quota_count': None,
            'temp_url_key_set': False,
            'temp_url_key_2_set': False,
        },
    }
    conn.put_container.assert_not_called()


def test_same_metadata_and_acl_is_not_changed(run_module):
    conn = mock.Mock()
    conn.head_container.return_value = HEAD
    result, failed = run_module(archive_container.main, conn, name='c', metadata={'OWNER': 'dba'}, read_acl='.r:*')
    assert not failed and not result['changed']
    conn.post_container.assert_not_called()


def test_purge_posts_removal_headers_only(run_module):
    conn = mock.Mock()
    conn.head_container.return_value = dict(HEAD, **{'x-container-meta-old': '1'})
    result, failed = run_module(archive_container.main, conn, name='c', metadata={'owner': 'dba'}, purge_metadata=True)
    assert not failed and result['changed'] and result['changed_reason'] == 'metadata differs'
    conn.post_container.assert_called_once_with('c', {'X-Remove-Container-Meta-old': 'x'})


def test_non_empty_container_needs_force(run_module):
    conn = mock.Mock()
    conn.head_container.return_value = HEAD
    result, failed = run_module(archive_container.main, conn, name='c', state='absent')
    assert failed and 'set force=true' in result['msg'] and '2 object(s)' in result['msg']
    conn.delete_container.assert_not_called()


def test_bad_name_fails_before_any_request(run_module):
    conn = mock.Mock()
    result, failed = run_module(archive_container.main, conn, name='a/b')
    assert failed and result['msg'].startswith("name: container name 'a/b' must not contain '/'")
    assert conn.mock_calls == []


def test_auth_failure_message_hides_secret(run_module):
    conn = mock.Mock()
    conn.head_container.side_effect = ClientException(
        'Unauthorized', http_status=401, http_reason='Unauthorized s3cr3t-key'
    )
    result, failed = run_module(archive_container.main, conn, name='c')
    assert failed and 'HTTP 401' in result['msg'] and 'check access_key' in result['msg']
    assert 's3cr3t-key' not in str(result)


def test_quotas_are_set_in_bytes_removed_with_zero_and_not_user_metadata(run_module):
    conn = mock.Mock()
    conn.head_container.return_value = dict(HEAD, **{'x-container-meta-quota-count': '5'})
    result, failed = run_module(
        archive_container.main,
        conn,
        name='c',
        quota_bytes='10GB',
        quota_count=0,
        metadata={'owner': 'dba'},
        purge_metadata=True,
        _ansible_diff=True,
    )
    assert not failed and result['changed_reason'] == 'quota differs'
    conn.post_container.assert_called_once_with(
        'c', {'X-Container-Meta-quota-bytes': '10737418240', 'X-Remove-Container-Meta-quota-count': 'x'}
    )
    assert result['diff']['before']['quota_count'] == 5 and result['diff']['before']['metadata'] == {'owner': 'dba'}
    # check mode predicts the facts after the change (a real run reads them back)
    conn.reset_mock()
    result, failed = run_module(
        archive_container.main,
        conn,
        name='c',
        quota_bytes='10GB',
        quota_count=0,
        _ansible_check_mode=True,
        _ansible_diff=True,
    )
    assert not failed and result['changed'] and not conn.post_container.called
    assert result['diff']['after']['quota_bytes'] == 10737418240
    assert result['diff']['after']['quota_count'] is None


def test_quota_through_metadata_is_refused(run_module):
    conn = mock.Mock()
    result, failed = run_module(archive_container.main, conn, name='c', metadata={'Quota-Bytes': 1})
    assert failed and result['msg'] == "metadata: set 'quota-bytes' with the option quota_bytes instead"
    assert conn.mock_calls == []


def test_temp_url_key_converges_without_ever_being_shown(run_module):
    key = 'k3y-that-must-stay-secret'
    conn = mock.Mock()
    conn.head_container.return_value = dict(HEAD, **{'x-container-meta-temp-url-key': 'old-k3y-value'})
    result, failed = run_module(archive_container.main, conn, name='c', temp_url_key=key, _ansible_diff=True)
    assert not failed and result['changed_reason'] == 'temp URL key differs'
    conn.post_container.assert_called_once_with('c', {'X-Container-Meta-temp-url-key': key})
    assert result['container']['temp_url_key_set'] is True
    shown = str(result)
    assert key not in shown and 'old-k3y-value' not in shown

    conn = mock.Mock()
    conn.head_container.return_value = dict(HEAD, **{'x-container-meta-temp-url-key': key})
    result, failed = run_module(archive_container.main, conn, name='c', temp_url_key=key)
    assert not failed and not result['changed'] and key not in str(result)
    conn.post_container.assert_not_called()
