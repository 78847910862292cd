# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""archive_slo through its entry point, against a stub Swift that keeps objects in a dict."""

from __future__ import annotations

import hashlib
import json

from swiftclient.exceptions import ClientException

from ansible_collections.ncloud.archive.plugins.modules import archive_slo

MIB = 1024 * 1024


class StubSwift:
    """Objects in memory; ``fail_manifest`` makes manifest PUTs fail (``stored``: after storing
    it, as when the answer is lost); ``replace_after_put`` puts another writer's manifest in
    place right after this run's."""

    def __init__(self, fail_manifest=None, replace_after_put=None):
        self.objects = {}
        self.fail_manifest = fail_manifest
        self.replace_after_put = replace_after_put
        self.deleted = []

    def head_container(self, container):
        return {'x-container-object-count': '0', 'x-container-bytes-used': '0'}

    def put_container(self, container, headers=None):
        pass

    def get_container(self, container, marker=None, limit=None, prefix=None, delimiter=None):
        names = sorted(n for (c, n) in self.objects if c == container and n.startswith(prefix or ''))
        names = [n for n in names if marker is None or n > marker][:limit]
        return {}, [
            {
                'name': n,
                'bytes': len(self.objects[(container, n)]['data']),
                'hash': self.objects[(container, n)]['etag'],
                'last_modified': '2020-01-01T00:00:00.000000',
            }
            for n in names
        ]

    def head_object(self, container, name, headers=None):
        obj = self.objects.get((container, name))
        if obj is None:
            raise ClientException('Object HEAD failed', http_status=404)
        return dict(obj['headers'], etag='"%s"' % obj['etag'])

    def get_object(self, container, name, query_string=None, resp_chunk_size=None, headers=None):
        obj = self.objects[(container, name)]
        return {}, json.dumps(obj['manifest']).encode()

    def put_object(
        self,
        container,
        name,
        contents,
        query_string=None,
        content_type=None,
        headers=None,
        content_length=None,
        **kwargs,
    ):
        if query_string == 'multipart-manifest=put':
            return self.put_manifest(
                container, name, json.loads(contents), dict(headers or {}, **{'content-type': content_type})
            )
        data = contents if isinstance(contents, bytes) else contents.read()
        etag = hashlib.md5(data).hexdigest()
        self.objects[(container, name)] = {
            'data': data,
            'etag': etag,
            'headers': dict((k.lower(), v) for k, v in (headers or {}).items()),
        }
        return etag

    def post_object(self, container, name, headers):
        # A POST replaces user metadata and the expiry; the SLO's own headers stay.
        obj = self.objects[(container, name)]
        kept = dict(
            (k, v)
            for k, v in obj['headers'].items()
            if k in ('x-static-large-object', 'content-length', 'content-type')
        )
        kept.update((k.lower(), v) for k, v in headers.items())
        obj['headers'] = kept

    def expiries(self):
        return dict(('/%s/%s' % key, obj['headers'].get('x-delete-at')) for key, obj in self.objects.items())

    def put_manifest(self, container, name, entries, headers):
        segments = [{'name': e['path'], 'bytes': e['size_bytes'], 'hash': e['etag']} for e in entries]
        etag = hashlib.md5(''.join(e['etag'] for e in entries).encode()).hexdigest()
        stored = {
            'data': b'',
            'etag': etag,
            'manifest': segments,
            'headers': dict((k.lower(), v) for k, v in headers.items()),
            'slo': True,
        }
        stored['headers'].update(
            {'x-static-large-object': 'True', 'content-length': str(sum(e['size_bytes'] for e in entries))}
        )
        if self.fail_manifest == 'refused':
            raise ClientException('Object PUT failed', http_status=503)
        self.objects[(container, name)] = stored
        if self.fail_manifest == 'stored':
            raise ClientException('Object PUT failed', http_status=503)
        if self.replace_after_put:
            other = dict(stored, etag='0' * 32, manifest=[])
            self.objects[(container, name)] = other
        return etag

    def delete_object(self, container, name):
        self.deleted.append('/%s/%s' % (container, name))
        if self.objects.pop((container, name), None) is None:
            raise ClientException('Object DELETE failed', http_status=404)

    def segments(self):
        return sorted(n for (c, n) in self.objects if c == 'c_segments')


def upload(run_module, tmp_path, conn, **args):
    src = tmp_path / 'big.bin'
    if not src.exists():  # one file version (mtime) for all runs of a test
        src.write_bytes(bytes(range(256)) * (3 * MIB // 256 + 7))
    params = dict(container='c', name='big.bin', src=str(src), segment_size='1MB', threads=2, retries=0)
    params.update(args)
    return run_module(archive_slo.main, conn, **params)


def test_on_failure_delete_after_a_refused_manifest_leaves_no_segment(run_module, tmp_path):
    conn = StubSwift(fail_manifest='refused')
    result, failed = upload(run_module, tmp_path, conn, on_failure='delete')
    assert failed and 'HTTP 503' in result['msg']
    assert result['msg'].endswith('on_failure=delete: deleted the 4 segment(s) this run had stored')
    assert conn.segments() == []


def test_a_manifest_stored_despite_a_lost_answer_is_a_success_not_a_cleanup(run_module, tmp_path):
    conn = StubSwift(fail_manifest='stored')
    result, failed = upload(run_module, tmp_path, conn, on_failure='delete')
    assert not failed and result['changed'] and result['segments_uploaded'] == 4
    assert len(conn.segments()) == 4 and conn.deleted == []


def test_on_failure_keep_after_a_refused_manifest_keeps_them_for_the_next_run(run_module, tmp_path):
    conn = StubSwift(fail_manifest='refused')
    result, failed = upload(run_module, tmp_path, conn)
    assert failed and 'on_failure=keep: the 4 segment(s) this run stored were kept' in result['msg']
    assert len(conn.segments()) == 4
    conn.fail_manifest = None
    result, failed = upload(run_module, tmp_path, conn)
    assert not failed and result['segments_reused'] == 4 and result['segments_uploaded'] == 0


def test_a_run_whose_manifest_was_replaced_fails_and_removes_only_its_own(run_module, tmp_path):
    conn = StubSwift(replace_after_put=True)
    conn.objects[('c_segments', 'other/kept')] = {'data': b'x', 'etag': 'e', 'headers': {}}
    result, failed = upload(run_module, tmp_path, conn)
    assert failed and 'was replaced by another writer' in result['msg']
    assert 'the 4 segment(s) this run uploaded that it does not use were deleted' in result['msg']
    assert conn.segments() == ['other/kept']


def test_check_mode_predicts_the_real_upload(run_module, tmp_path):
    predicted, failed = upload(run_module, tmp_path, StubSwift(), _ansible_check_mode=True)
    assert not failed
    conn = StubSwift()
    real, failed = upload(run_module, tmp_path, conn)
    assert not failed
    for key in (
        'changed',
        'changed_reason',
        'segments_uploaded',
        'segments_reused',
        'segments_deleted',
        'segments_expiry_changed',
        'segment_size',
    ):
        assert predicted[key] == real[key], key
    assert [(s['name'], s['bytes']) for s in predicted['segments']] == [
        (s['name'], s['bytes']) for s in real['segments']
    ]


def test_manifest_and_every_segment_get_one_expiry_and_converge_with_posts(run_module, tmp_path):
    conn = StubSwift()
    result, failed = upload(run_module, tmp_path, conn, delete_after=3600)
    assert not failed and result['object']['delete_at'] > 0
    assert set(conn.expiries().values()) == {str(result['object']['delete_at'])}
    assert len(conn.expiries()) == 5  # the manifest and 4 segments

    again, failed = upload(run_module, tmp_path, conn, delete_after=3600)
    assert not failed and not again['changed'] and again['segments_expiry_changed'] == 0

    predicted, failed = upload(run_module, tmp_path, conn, delete_at='never', _ansible_check_mode=True)
    assert not failed and set(conn.expiries().values()) == {str(result['object']['delete_at'])}
    real, failed = upload(run_module, tmp_path, conn, delete_at='never')
    assert not failed and real['segments_uploaded'] == 0
    for key in ('changed', 'changed_reason', 'segments_expiry_changed', 'segments_deleted'):
        assert predicted[key] == real[key], key
    assert real['changed_reason'] == 'expiry differs and segment expiry differs'
    assert real['segments_expiry_changed'] == 4
    assert set(conn.expiries().values()) == {None}
