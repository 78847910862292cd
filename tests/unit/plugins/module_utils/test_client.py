# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client layer: deletes, bulk deletes, "not found" as a value, errors with their cause."""

from __future__ import annotations

import json

import pytest
from swiftclient.exceptions import ClientException

from ansible_collections.ncloud.archive.plugins.module_utils import _client
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.tests.unit.conftest import FakeConnector
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift


def client(conn, **limits):
    return _client.Client(FakeConnector(conn, limits=limits))


def test_one_by_one_delete_refuses_dot_segments_before_deleting_anything():
    swift = FakeSwift()
    for name in ('ok', 'a..b', '../victim'):
        swift.add_object('c', name, b'x')
    one_by_one = client(swift, bulk_delete=False)
    with pytest.raises(ArchiveError, match="'/c/../victim' has a '.' or '..' path segment"):
        one_by_one.delete_paths(['/c/ok', '/c/../victim'])
    assert swift.writes == []
    assert one_by_one.delete_paths(['/c/ok', '/c/a..b']) == 2
    assert swift.writes == [('DELETE', 'c/ok'), ('DELETE', 'c/a..b')]


def test_bulk_delete_takes_dot_segment_names_in_its_body():
    # The body is not a URL: Swift deletes the object '../x' of container 'c', nothing else.
    swift = FakeSwift()
    swift.add_object('c', '../x', b'x')
    swift.add_object('c', 'x', b'x')
    swift.add_object('x', 'x', b'x')
    assert client(swift, bulk_delete=True, bulk_max_deletes_per_request=100).delete_paths(['/c/../x']) == 1
    assert swift.writes == [('POST', '?bulk-delete')]
    assert sorted(swift.containers['c']['objects']) == ['x'] and 'x' in swift.containers['x']['objects']


def bulk_answer(deleted, errors=()):
    status = '502 Bad Gateway' if errors else '200 OK'
    return json.dumps(
        {
            'Response Status': status,
            'Number Deleted': deleted,
            'Number Not Found': 0,
            'Errors': [list(e) for e in errors],
        }
    ).encode()


class BulkStub:
    def __init__(self, answers, retries=5):
        self.answers = list(answers)
        self.bodies = []
        self.retries = retries
        self.session = None

    def post_account(self, headers, query_string, data):
        self.bodies.append(data)
        return {}, self.answers.pop(0)


def test_bulk_delete_sends_again_what_failed_with_a_server_error(monkeypatch):
    monkeypatch.setattr(_client.time, 'sleep', lambda seconds: None)
    conn = BulkStub([bulk_answer(2, [('/c/b c', '503 Service Unavailable')]), bulk_answer(1)])
    bulk = client(conn, bulk_delete=True, bulk_max_deletes_per_request=100)
    assert bulk.delete_paths(['/c/a', '/c/b c', '/c/d']) == 3
    assert conn.bodies == [b'/c/a\n/c/b%20c\n/c/d', b'/c/b%20c']


def test_bulk_delete_gives_up_on_other_errors_and_after_the_retries(monkeypatch):
    monkeypatch.setattr(_client.time, 'sleep', lambda seconds: None)
    limits = {'bulk_delete': True, 'bulk_max_deletes_per_request': 100}
    conflict = BulkStub([bulk_answer(0, [('/c/a', '409 Conflict')])])
    with pytest.raises(ArchiveError, match='/c/a: 409 Conflict'):
        client(conflict, **limits).delete_paths(['/c/a'])
    assert len(conflict.bodies) == 1
    busy = BulkStub([bulk_answer(0, [('/c/a', '503 Service Unavailable')])] * 3, retries=2)
    with pytest.raises(ArchiveError, match='/c/a: 503'):
        client(busy, **limits).delete_paths(['/c/a'])
    assert len(busy.bodies) == 3


def test_not_found_is_a_value():
    """An account without containers answers 404 to everything about them."""
    absent = client(FakeSwift(), container_listing_limit=100, bulk_delete=False)
    assert absent.head_container('c') is None
    assert absent.head_object('c', 'o') is None
    assert absent.get_manifest('c', 'o') is None
    assert absent.list_container('c') is None
    assert absent.delete_object('c', 'o') is False
    assert absent.delete_container('c') is False
    assert absent.delete_paths(['/c/a', '/c/b']) == 0


def test_a_failure_names_the_operation_and_keeps_its_cause():
    class Busy:
        def put_object(self, *_args, **_kwargs):
            raise ClientException(
                'Object PUT failed',
                http_status=503,
                http_reason='Unavailable',
                http_response_headers={'X-Trans-Id': 'tx123'},
            )

    with pytest.raises(ArchiveError) as err:
        client(Busy()).put_object('c', 'o', b'')
    assert err.value.message.startswith("PUT object 'o' in container 'c' failed: HTTP 503")
    assert err.value.status == 503 and err.value.transaction_id == 'tx123'
    assert isinstance(err.value.__cause__, ClientException)


def test_the_token_joins_the_secrets():
    class Conn:
        token = 'tok-123'

        def head_account(self):
            return {}

    secrets = set()
    _client.Client(FakeConnector(Conn()), secrets).head_account()
    assert secrets == {'tok-123'}


# --- quota_hint: a 413 of an upload explained with the container's quotas ------------------


def quota_swift(**headers):
    swift = FakeSwift()
    swift.add_container('c', **headers)
    swift.add_object('c', 'a', b'x' * 600)
    return swift


def too_large(message='Object PUT failed: 413 Request Entity Too Large'):
    return ArchiveError(message, 413, 'tx413')


def test_a_413_names_the_quotas_of_the_container_and_what_it_holds():
    swift = quota_swift(**{'x-container-meta-quota-bytes': '1000', 'x-container-meta-quota-count': '2'})
    cause = ClientException('PUT failed', http_status=413)
    exc = too_large()
    exc.__cause__ = cause
    hinted = client(swift).quota_hint(exc, 'c')
    assert hinted is not exc and isinstance(hinted, ArchiveError)
    assert hinted.message == (
        "Object PUT failed: 413 Request Entity Too Large; container 'c' has quota_bytes=1000 (600 now) "
        'and quota_count=2 (1 now): raise or remove it with ncloud.archive.archive_container, or delete objects'
    )
    assert (hinted.status, hinted.transaction_id, hinted.__cause__) == (413, 'tx413', cause)


def test_a_413_names_only_the_quota_that_is_set():
    hinted = client(quota_swift(**{'x-container-meta-quota-count': '1'})).quota_hint(too_large(), 'c')
    assert hinted.message.endswith(
        "container 'c' has quota_count=1 (1 now): raise or remove it with "
        'ncloud.archive.archive_container, or delete objects'
    )
    assert 'quota_bytes' not in hinted.message


@pytest.mark.parametrize(
    'exc, headers, container',
    [
        (ArchiveError('Object PUT failed: 422 Unprocessable Entity', 422), {'x-container-meta-quota-bytes': '1'}, 'c'),
        (too_large(), {}, 'c'),  # no quota: the 413 is the cluster's max_file_size
        (too_large(), {'x-container-meta-quota-bytes': '1'}, 'missing'),  # the HEAD fails: the error as it was
    ],
    ids=['not-413', 'no-quota', 'container-gone'],
)
def test_anything_else_is_returned_as_it_was(exc, headers, container):
    assert client(quota_swift(**headers)).quota_hint(exc, container) is exc
