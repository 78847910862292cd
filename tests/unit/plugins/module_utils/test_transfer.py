# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import json
import os

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _transfer
from ansible_collections.ncloud.archive.plugins.module_utils._connection import ArchiveError

DATA = bytes(range(256)) * 40  # 10240 bytes


def md5(data):
    return hashlib.md5(data).hexdigest()


def segments_of(data, size):
    return [{'name': '/s/%d' % i, 'bytes': len(data[i:i + size]), 'hash': md5(data[i:i + size])}
            for i in range(0, len(data), size)]


def chunks(data, size=777):
    return [data[i:i + size] for i in range(0, len(data), size)]


def test_md5_file_of_a_slice(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(DATA)
    assert _transfer.md5_file(str(path)) == md5(DATA)
    assert _transfer.md5_file(str(path), 100, 1000) == md5(DATA[100:1100])


def test_md5_files_on_threads(tmp_path):
    paths = []
    for i in range(5):
        path = tmp_path / ('f%d' % i)
        path.write_bytes(DATA[:1000 * i])
        paths.append(str(path))
    assert _transfer.md5_files(paths + paths[:1], 3) == dict((p, md5(DATA[:1000 * i])) for i, p in enumerate(paths))
    assert _transfer.md5_files([], 3) == {}


def test_file_matches_segments_cut_at_manifest_sizes(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(DATA)
    assert _transfer.file_matches_segments(str(path), segments_of(DATA, 4096))
    changed = DATA[:5000] + b'X' + DATA[5001:]
    assert not _transfer.file_matches_segments(str(path), segments_of(changed, 4096))
    assert not _transfer.file_matches_segments(str(path), segments_of(DATA[:-1], 4096))


def test_verifier_accepts_the_right_bytes_in_any_chunking():
    for size in (1, 777, 4096, 20000):
        verifier = _transfer.SegmentVerifier(len(DATA), segments=segments_of(DATA, 4096))
        for chunk in chunks(DATA, size):
            verifier.update(chunk)
        verifier.finish()
    plain = _transfer.SegmentVerifier(len(DATA), etag=md5(DATA))
    for chunk in chunks(DATA):
        plain.update(chunk)
    plain.finish()


def test_verifier_names_the_bad_segment():
    bad = DATA[:5000] + b'X' + DATA[5001:]
    verifier = _transfer.SegmentVerifier(len(DATA), segments=segments_of(DATA, 4096))
    with pytest.raises(ArchiveError, match='segment 2 .* has md5'):
        for chunk in chunks(bad):
            verifier.update(chunk)
        verifier.finish()


def test_verifier_rejects_short_body_and_empty_object_passes():
    verifier = _transfer.SegmentVerifier(len(DATA), etag=md5(DATA))
    verifier.update(DATA[:-1])
    with pytest.raises(ArchiveError, match='received 10239 bytes, expected 10240'):
        verifier.finish()
    empty = _transfer.SegmentVerifier(0, etag=md5(b''))
    empty.finish()


def test_download_replaces_only_when_verified(tmp_path):
    dest = tmp_path / 'out.bin'
    dest.write_bytes(b'old')
    os.chmod(dest, 0o640)
    with pytest.raises(ArchiveError):
        _transfer.download_to(str(dest), chunks(DATA), _transfer.SegmentVerifier(len(DATA), etag=md5(b'other')))
    assert dest.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['out.bin']

    def broken():
        yield DATA[:100]
        raise ConnectionError('reset by peer')
    with pytest.raises(ConnectionError):
        _transfer.download_to(str(dest), broken(), _transfer.SegmentVerifier(len(DATA), etag=md5(DATA)))
    assert dest.read_bytes() == b'old' and os.listdir(tmp_path) == ['out.bin']

    _transfer.download_to(str(dest), chunks(DATA), _transfer.SegmentVerifier(len(DATA), etag=md5(DATA)))
    assert dest.read_bytes() == DATA
    assert os.stat(dest).st_mode & 0o777 == 0o640


class SegmentStore:
    """A stub connection serving segments '/s/<i>': their bytes and ETags can be damaged."""

    def __init__(self, data, size, body=None, etag=None):
        self.objects = {}
        for i in range(0, len(data), size):
            part = data[i:i + size]
            self.objects['%d' % i] = (part, md5(part))
        self.body = body or {}
        self.etag = etag or {}
        self.requested = []

    def get_object(self, container, name, resp_chunk_size=None):
        assert container == 's' and resp_chunk_size == _transfer.CHUNK
        self.requested.append(name)
        part, etag = self.objects[name]
        return {'etag': '"%s"' % self.etag.get(name, etag)}, iter(chunks(self.body.get(name, part), 1000))


def manifest_of(data, size):
    return [{'name': '/s/%d' % i, 'bytes': len(data[i:i + size]), 'hash': md5(data[i:i + size])}
            for i in range(0, len(data), size)]


def call(_operation, func, *args):
    return func(*args)


@pytest.mark.parametrize('threads', [1, 3, 8])
def test_segments_are_written_at_their_offsets(tmp_path, threads):
    dest = tmp_path / 'out.bin'
    store = SegmentStore(DATA, 3000)
    _transfer.download_segments(str(dest), lambda: store, call, manifest_of(DATA, 3000), threads)
    assert dest.read_bytes() == DATA
    assert sorted(store.requested) == sorted(['0', '3000', '6000', '9000'])
    assert os.listdir(tmp_path) == ['out.bin']


def test_a_segment_with_other_bytes_fails_and_leaves_dest(tmp_path):
    dest = tmp_path / 'out.bin'
    dest.write_bytes(b'old')
    damaged = DATA[3000:5999] + b'X'
    store = SegmentStore(DATA, 3000, body={'3000': damaged})
    with pytest.raises(ArchiveError, match=r"segment 2 '/s/3000': the data has md5 %s, the ETag says %s"
                       % (md5(damaged), md5(DATA[3000:6000]))) as err:
        _transfer.download_segments(str(dest), lambda: store, call, manifest_of(DATA, 3000), 2)
    assert dest.read_bytes() == b'old' and os.listdir(tmp_path) == ['out.bin']
    assert _transfer.is_verify_error(err.value)  # archive_object tries such a download once more


def test_a_replaced_segment_is_refused_by_its_etag(tmp_path):
    dest = tmp_path / 'out.bin'
    store = SegmentStore(DATA, 3000, etag={'6000': md5(b'new')})
    with pytest.raises(ArchiveError, match="segment 3 '/s/6000' is not the one the manifest lists") as err:
        _transfer.download_segments(str(dest), lambda: store, call, manifest_of(DATA, 3000), 4)
    assert not dest.exists() and os.listdir(tmp_path) == []
    assert not _transfer.is_verify_error(err.value)  # a changed object is not retried


def test_a_short_segment_fails(tmp_path):
    dest = tmp_path / 'out.bin'
    store = SegmentStore(DATA, 3000, body={'9000': DATA[9000:-1]})
    with pytest.raises(ArchiveError, match="segment 4 '/s/9000': received 1239 bytes, expected 1240"):
        _transfer.download_segments(str(dest), lambda: store, call, manifest_of(DATA, 3000), 2)
    assert os.listdir(tmp_path) == []


def test_parallel_only_for_md5_checkable_manifests():
    manifest = manifest_of(DATA, 3000)
    assert _transfer.parallel_download_possible(manifest)
    assert not _transfer.parallel_download_possible(manifest[:1])
    assert not _transfer.parallel_download_possible(None)
    assert not _transfer.parallel_download_possible(manifest[:2] + [dict(manifest[2], range='0-9')])
    assert not _transfer.parallel_download_possible(manifest[:2] + [dict(manifest[2], sub_slo=True)])


class DeleteLog:
    def __init__(self):
        self.deleted = []

    def delete_object(self, container, name):
        self.deleted.append((container, name))


def test_one_by_one_delete_refuses_dot_segments_before_deleting_anything():
    conn = DeleteLog()
    limits = {'bulk_delete': False}
    with pytest.raises(ArchiveError, match="'/c/../victim' has a '.' or '..' path segment"):
        _transfer.delete_paths(call, conn, ['/c/ok', '/c/../victim'], limits)
    assert conn.deleted == []
    assert _transfer.delete_paths(call, conn, ['/c/ok', '/c/a..b'], limits) == 2
    assert conn.deleted == [('c', 'ok'), ('c', 'a..b')]


def test_bulk_delete_takes_dot_segment_names_in_its_body():
    # The body is not a URL: Swift deletes the object '../x' of container 'c', nothing else.
    sent = []

    class Bulk:
        def post_account(self, headers, query_string, data):
            sent.append(data)
            return {}, b'{"Response Status": "200 OK", "Number Deleted": 1, "Errors": []}'

    limits = {'bulk_delete': True, 'bulk_max_deletes_per_request': 100}
    conn = Bulk()
    conn.session = None
    assert _transfer.delete_paths(lambda _op, func, *a, **kw: func(*a, **kw), conn, ['/c/../x'],
                                  limits) == 1
    assert sent == [b'/c/../x']


def bulk_answer(deleted, errors=()):
    status = '502 Bad Gateway' if errors else '200 OK'
    return json.dumps({'Response Status': status, 'Number Deleted': deleted,
                       'Number Not Found': 0, 'Errors': [list(e) for e in errors]}).encode()


class BulkStub:
    def __init__(self, answers, retries=5):
        self.answers = list(answers)
        self.bodies = []
        self.retries = retries
        self.session = None

    def post_account(self, headers, query_string, data):
        self.bodies.append(data)
        return {}, self.answers.pop(0)


def kw_call(_operation, func, *args, **kwargs):
    return func(*args, **kwargs)


def test_bulk_delete_sends_again_what_failed_with_a_server_error(monkeypatch):
    monkeypatch.setattr(_transfer.time, 'sleep', lambda seconds: None)
    conn = BulkStub([bulk_answer(2, [('/c/b c', '503 Service Unavailable')]), bulk_answer(1)])
    limits = {'bulk_delete': True, 'bulk_max_deletes_per_request': 100}
    assert _transfer.delete_paths(kw_call, conn, ['/c/a', '/c/b c', '/c/d'], limits) == 3
    assert conn.bodies == [b'/c/a\n/c/b%20c\n/c/d', b'/c/b%20c']


def test_bulk_delete_gives_up_on_other_errors_and_after_the_retries(monkeypatch):
    monkeypatch.setattr(_transfer.time, 'sleep', lambda seconds: None)
    limits = {'bulk_delete': True, 'bulk_max_deletes_per_request': 100}
    conflict = BulkStub([bulk_answer(0, [('/c/a', '409 Conflict')])])
    with pytest.raises(ArchiveError, match='/c/a: 409 Conflict'):
        _transfer.delete_paths(kw_call, conflict, ['/c/a'], limits)
    assert len(conflict.bodies) == 1
    busy = BulkStub([bulk_answer(0, [('/c/a', '503 Service Unavailable')])] * 3, retries=2)
    with pytest.raises(ArchiveError, match='/c/a: 503'):
        _transfer.delete_paths(kw_call, busy, ['/c/a'], limits)
    assert len(busy.bodies) == 3
