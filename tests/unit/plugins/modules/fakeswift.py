# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory Swift behind swiftclient's Connection interface, for module unit tests.

It keeps what Swift 2.15.1 keeps and answers what it answers for the requests the modules
make: metadata that a POST replaces, ETags checked on PUT, SLO manifests checked against
their segments, bulk and SLO deletes reported in a JSON body (a ``multipart-manifest=delete``
of a plain object fails, "Not an SLO manifest", as in 2.15.1). Its listings are 2.15.1's: an
SLO lists with its data's size and its manifest's md5 as ``hash``, nothing saying it is an
SLO; ``FakeSwift(modern=True)`` adds the ``slo_etag`` of Swift 2.19 and later.
``lagging_replica = True`` plays a replica that missed the last write of each object: reads
without ``X-Newest`` see the object as it was before it; ``post_drops_slo = True`` plays
2.15.1's POST that turns a manifest into a plain object holding its JSON (fixed in 2.15.2).
``writes`` records every request that changes something, ``reads`` every HEAD, GET and listing.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import io
import json
import tarfile
import threading
import time
from urllib.parse import quote, unquote

from swiftclient.exceptions import ClientException

# Taken at import: a test may replace hashlib.md5 (to play a FIPS host) without changing Swift.
_MD5 = hashlib.md5


def md5(data):
    return _MD5(data).hexdigest()


def _fail(what, status, reason):
    raise ClientException('%s failed' % what, http_status=status, http_reason=reason)


def _stamp(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000000')


class FakeSwift:
    url = 'http://swift.test/v1/AUTH_p1'
    token = 'tok-fake-123'
    retries = 0
    session = None
    deadline = None

    def __init__(self, clock=None, modern=False):
        self.lock = threading.RLock()
        self.containers = {}
        self.account_meta = {}
        self.writes = []
        self.clock = int(time.time()) if clock is None else clock
        self.modern = modern
        self.lagging_replica = False
        self.extracts = 0
        self.fail_extract = set()
        self.corrupt_extract = set()
        self.post_drops_slo = False  # Swift 2.15.1's bug: a POST can turn a manifest into its JSON
        self.previous = {}  # (container, name): the object before its last write, or None
        self.reads = []  # ('LIST', container), ('HEAD' or 'GET', 'container/name')

    # --- setting up ---------------------------------------------------------------------
    def copy(self):
        """An independent copy with the same stored state and an empty write log."""
        with self.lock:
            other = FakeSwift(self.clock, self.modern)
            other.containers = copy.deepcopy(self.containers)
            other.account_meta = dict(self.account_meta)
            return other

    def state(self):
        with self.lock:
            return copy.deepcopy((self.containers, self.account_meta))

    def add_container(self, name, **headers):
        self.containers[name] = {'headers': dict((k.lower(), v) for k, v in headers.items()), 'objects': {}}

    def add_object(self, container, name, data, content_type='application/octet-stream', age=0, **headers):
        self.containers.setdefault(container, {'headers': {}, 'objects': {}})
        self.containers[container]['objects'][name] = {
            'data': data,
            'etag': md5(data),
            'content_type': content_type,
            'manifest': None,
            'modified': self.clock - age,
            'headers': dict((k.lower(), str(v)) for k, v in headers.items()),
        }

    def add_slo(self, container, name, data, segment_size, segment_container=None, prefix=None, age=0, **headers):
        """Store ``data`` as an SLO whose segments are ``<prefix><index:08d>``."""
        segment_container = segment_container or container + '_segments'
        prefix = prefix or '%s/slo/1.000000/%d/%d/' % (name, len(data), segment_size)
        manifest = []
        for index, offset in enumerate(range(0, len(data), segment_size)):
            part = data[offset : offset + segment_size]
            segment = '%s%08d' % (prefix, index)
            self.add_object(segment_container, segment, part, age=age)
            manifest.append({'name': '/%s/%s' % (segment_container, segment), 'bytes': len(part), 'hash': md5(part)})
        self._store_slo(
            container,
            name,
            manifest,
            'application/octet-stream',
            dict((k.lower(), str(v)) for k, v in headers.items()),
            age,
        )

    def add_dlo(self, container, name, data, segment_size, segment_container=None, prefix=None, **headers):
        """Store ``data`` as a DLO, as ``swift upload --use-dlo`` does: segments
        ``<prefix><index:08d>`` and a zero-byte manifest with ``X-Object-Manifest``."""
        segment_container = segment_container or container + '_segments'
        prefix = prefix if prefix is not None else '%s/1.000000/%d/%d/' % (name, len(data), segment_size)
        for index, offset in enumerate(range(0, len(data), segment_size)):
            self.add_object(segment_container, '%s%08d' % (prefix, index), data[offset : offset + segment_size])
        headers['X-Object-Manifest'] = '%s/%s' % (quote(segment_container), quote(prefix))
        self.add_object(container, name, b'', **headers)

    def _store_slo(self, container, name, manifest, content_type, headers, age=0):
        self.containers[container]['objects'][name] = {
            'data': json.dumps(manifest).encode(),
            'content_type': content_type,
            'etag': md5(''.join(s['hash'] for s in manifest).encode()),
            'manifest': manifest,
            'modified': self.clock - age,
            'headers': headers,
        }

    # --- internals ----------------------------------------------------------------------
    def _container(self, name, what):
        if name not in self.containers:
            _fail(what, 404, 'Not Found')
        return self.containers[name]

    def _object(self, container, name, what):
        obj = self._container(container, what)['objects'].get(name)
        if obj is None or (obj['headers'].get('x-delete-at') and int(obj['headers']['x-delete-at']) <= self.clock):
            _fail(what, 404, 'Not Found')
        return obj

    def _dlo_parts(self, obj):
        """A DLO's segment objects (its manifest's container and prefix, in name order), or None."""
        value = obj['headers'].get('x-object-manifest')
        if value is None:
            return None
        container, _sep, prefix = value.partition('/')
        objects = self.containers.get(unquote(container), {}).get('objects', {})
        return [objects[n] for n in sorted(objects) if n.startswith(unquote(prefix))]

    def _size(self, obj):
        parts = self._dlo_parts(obj)
        if parts is not None:
            return sum(len(p['data']) for p in parts)
        return sum(s['bytes'] for s in obj['manifest']) if obj['manifest'] is not None else len(obj['data'])

    def _data(self, obj):
        parts = self._dlo_parts(obj)
        if parts is not None:
            return b''.join(p['data'] for p in parts)
        if obj['manifest'] is None:
            return obj['data']
        parts = []
        for segment in obj['manifest']:
            container, _sep, name = segment['name'].lstrip('/').partition('/')
            parts.append(self._object(container, name, 'GET segment')['data'])
        return b''.join(parts)

    @staticmethod
    def _body(contents):
        if contents is None:
            return b''
        if isinstance(contents, str):
            return contents.encode('utf-8')
        if isinstance(contents, bytes):
            return contents
        return contents.read()

    def _object_headers(self, headers):
        """User metadata and expiry of a PUT/POST, Swift-style (delete-after made absolute)."""
        kept = {}
        for key, value in (headers or {}).items():
            key = key.lower()
            if key.startswith('x-object-meta-'):
                kept[key] = str(value)
            elif key in ('x-delete-at', 'x-object-manifest'):
                kept[key] = str(value)
            elif key == 'x-delete-after':
                kept['x-delete-at'] = str(self.clock + int(value))
        return kept

    # --- account ------------------------------------------------------------------------
    def get_auth(self):
        return self.url, self.token

    def head_account(self):
        with self.lock:
            headers = {
                'x-account-container-count': str(len(self.containers)),
                'x-account-object-count': str(sum(len(c['objects']) for c in self.containers.values())),
                'x-account-bytes-used': str(
                    sum(self._size(o) for c in self.containers.values() for o in c['objects'].values())
                ),
            }
            headers.update(self.account_meta)
            return headers

    def get_account(self, marker=None, limit=None, prefix=None):
        with self.lock:
            names = sorted(n for n in self.containers if n.startswith(prefix or '') and (marker is None or n > marker))[
                :limit
            ]
            return {}, [
                {
                    'name': n,
                    'count': len(self.containers[n]['objects']),
                    'bytes': sum(self._size(o) for o in self.containers[n]['objects'].values()),
                }
                for n in names
            ]

    def post_account(self, headers=None, query_string=None, data=None):
        assert query_string == 'bulk-delete'
        with self.lock:
            self.writes.append(('POST', '?bulk-delete'))
            deleted = not_found = 0
            for line in data.decode('utf-8').splitlines():
                container, _sep, name = unquote(line).lstrip('/').partition('/')
                objects = self.containers.get(container, {}).get('objects', {})
                if objects.pop(name, None) is None:
                    not_found += 1
                else:
                    deleted += 1
            return {}, json.dumps(
                {'Response Status': '200 OK', 'Number Deleted': deleted, 'Number Not Found': not_found, 'Errors': []}
            ).encode()

    # --- containers ---------------------------------------------------------------------
    def head_container(self, container):
        with self.lock:
            stored = self._container(container, 'Container HEAD')
            headers = dict(stored['headers'])
            headers['x-container-object-count'] = str(len(stored['objects']))
            headers['x-container-bytes-used'] = str(sum(self._size(o) for o in stored['objects'].values()))
            return headers

    def put_container(self, container, headers=None):
        with self.lock:
            self.writes.append(('PUT', container))
            stored = self.containers.setdefault(container, {'headers': {}, 'objects': {}})
            self._apply_container_headers(stored, headers)

    def post_container(self, container, headers):
        with self.lock:
            self.writes.append(('POST', container))
            self._apply_container_headers(self._container(container, 'Container POST'), headers)

    @staticmethod
    def _apply_container_headers(stored, headers):
        for key, value in (headers or {}).items():
            key = key.lower()
            if key.startswith('x-remove-'):
                stored['headers'].pop('x-' + key[len('x-remove-') :], None)
            else:
                stored['headers'][key] = str(value)

    def delete_container(self, container):
        with self.lock:
            self.writes.append(('DELETE', container))
            if self._container(container, 'Container DELETE')['objects']:
                _fail('Container DELETE', 409, 'Conflict')
            del self.containers[container]

    def get_container(self, container, marker=None, limit=None, prefix=None, delimiter=None):
        with self.lock:
            self.reads.append(('LIST', container))
            stored = self._container(container, 'Container GET')
            entries = []
            seen = set()
            for name in sorted(stored['objects']):
                if not name.startswith(prefix or '') or (marker is not None and name <= marker):
                    continue
                if delimiter:
                    rest = name[len(prefix or '') :]
                    if delimiter in rest:
                        subdir = (prefix or '') + rest.split(delimiter)[0] + delimiter
                        if subdir not in seen:
                            seen.add(subdir)
                            entries.append({'subdir': subdir})
                        continue
                obj = stored['objects'][name]
                entry = {
                    'name': name,
                    'bytes': len(obj['data']) if self._dlo_parts(obj) is not None else self._size(obj),
                    'hash': md5(obj['data']) if obj['manifest'] is not None else obj['etag'],
                    'content_type': obj['content_type'],
                    'last_modified': _stamp(obj['modified']),
                }
                if obj['manifest'] is not None and self.modern:
                    entry['slo_etag'] = '"%s"' % obj['etag']
                entries.append(entry)
            return {}, entries[:limit]

    # --- objects ------------------------------------------------------------------------
    def _read(self, container, name, what, headers):
        """The object a read sees: with a lagging replica and no X-Newest, as it was before
        its last write."""
        self.reads.append((what.split()[-1], '%s/%s' % (container, name)))
        newest = str((headers or {}).get('X-Newest', '')).lower() == 'true'
        if self.lagging_replica and not newest and (container, name) in self.previous:
            obj = self.previous[(container, name)]
            if obj is None:
                _fail(what, 404, 'Not Found')
            return obj
        return self._object(container, name, what)

    def _remember(self, container, name):
        """Before a write: what a lagging replica keeps showing."""
        if self.lagging_replica:
            current = self.containers.get(container, {}).get('objects', {}).get(name)
            self.previous[(container, name)] = copy.deepcopy(current)

    def head_object(self, container, name, headers=None):
        with self.lock:
            obj = self._read(container, name, 'Object HEAD', headers)
            return self._head(obj)

    def _head(self, obj):
        with self.lock:
            headers = dict(obj['headers'])
            headers.update(
                {
                    'etag': '"%s"' % obj['etag'] if obj['manifest'] is not None else obj['etag'],
                    'content-length': str(self._size(obj)),
                    'content-type': obj['content_type'],
                    'last-modified': 'Thu, 01 Jan 2027 00:00:00 GMT',
                }
            )
            if obj['manifest'] is not None:
                headers['x-static-large-object'] = 'True'
            parts = self._dlo_parts(obj)
            if parts is not None:
                headers['etag'] = '"%s"' % md5(''.join(p['etag'] for p in parts).encode())
            return headers

    def get_object(self, container, name, query_string=None, resp_chunk_size=None, headers=None):
        with self.lock:
            obj = self._read(container, name, 'Object GET', headers)
            headers = self._head(obj)
            if query_string == 'multipart-manifest=get' and obj['manifest'] is not None:
                return headers, json.dumps(obj['manifest']).encode()
            data = self._data(obj)
        if resp_chunk_size:
            return headers, Body([data[i : i + resp_chunk_size] for i in range(0, len(data), resp_chunk_size)] or [b''])
        return headers, data

    def put_object(
        self,
        container,
        name,
        contents,
        content_length=None,
        etag=None,
        content_type=None,
        headers=None,
        query_string=None,
        chunk_size=None,
    ):
        body = self._body(contents)
        with self.lock:
            self.writes.append(('PUT', '%s/%s' % (container, name)))
            stored = self._container(container, 'Object PUT')
            self._remember(container, name)
            if query_string == 'multipart-manifest=put':
                return self._put_manifest(container, name, json.loads(body), content_type, headers)
            source = dict((k.lower(), v) for k, v in (headers or {}).items()).get('x-copy-from')
            if source is not None:
                return self._copy(container, name, unquote(source), query_string, headers)
            if etag is not None and md5(body) != etag:
                _fail('Object PUT', 422, 'Unprocessable Entity')
            stored['objects'][name] = {
                'data': body,
                'etag': md5(body),
                'manifest': None,
                'modified': self.clock,
                'content_type': content_type or 'application/octet-stream',
                'headers': self._object_headers(headers),
            }
            return md5(body)

    def _copy(self, container, name, source, query_string, headers):
        """A PUT with X-Copy-From (Swift's copy middleware): the source's data, or with
        ``multipart-manifest=get`` an SLO's manifest (the copy is the same SLO) or a DLO's
        zero-byte manifest; its user metadata and X-Delete-At, the request's headers over
        them; a new last-modified."""
        source_container, _sep, source_name = source.lstrip('/').partition('/')
        obj = self._object(source_container, source_name, 'Object COPY')
        copied = copy.deepcopy(obj)
        if obj['manifest'] is not None and query_string != 'multipart-manifest=get':
            copied.update(data=self._data(obj), manifest=None, etag=md5(self._data(obj)))
        if self._dlo_parts(obj) is not None and query_string != 'multipart-manifest=get':
            data = self._data(obj)
            copied.update(data=data, etag=md5(data))
            copied['headers'].pop('x-object-manifest', None)
        copied['headers'].update(self._object_headers(dict((k, v) for k, v in headers.items() if k != 'X-Copy-From')))
        copied['modified'] = self.clock
        self.containers[container]['objects'][name] = copied
        return copied['etag']

    def _put_manifest(self, container, name, entries, content_type, headers):
        manifest = []
        for entry in entries:
            segment_container, _sep, segment = entry['path'].lstrip('/').partition('/')
            part = self._object(segment_container, segment, 'Object PUT (manifest)')
            if part['etag'] != entry['etag'] or len(part['data']) != entry['size_bytes']:
                _fail('Object PUT (manifest)', 400, 'Bad Request')
            manifest.append({'name': entry['path'], 'bytes': entry['size_bytes'], 'hash': entry['etag']})
        self._store_slo(
            container, name, manifest, content_type or 'application/octet-stream', self._object_headers(headers)
        )
        return self.containers[container]['objects'][name]['etag']

    def post_object(self, container, name, headers):
        with self.lock:
            self.writes.append(('POST', '%s/%s' % (container, name)))
            obj = self._object(container, name, 'Object POST')
            self._remember(container, name)
            obj['headers'] = self._object_headers(headers)  # a POST replaces them all
            if self.post_drops_slo and obj['manifest'] is not None:
                obj['manifest'], obj['etag'] = None, md5(obj['data'])
            for key, value in headers.items():
                if key.lower() == 'content-type':
                    obj['content_type'] = value

    def delete_object(self, container, name):
        with self.lock:
            self.writes.append(('DELETE', '%s/%s' % (container, name)))
            self._object(container, name, 'Object DELETE')
            self._remember(container, name)
            del self.containers[container]['objects'][name]

    def _extract_archive(self, container, headers, data):
        """``PUT ?extract-archive=tar`` as 2.15.1's bulk middleware does it: each regular file
        of the archive becomes an object (its name after the container), with the request's
        headers and its pax headers' ``user.meta.*`` and ``user.mime_type``; the outcome in a
        JSON body. ``fail_extract`` names members to refuse (a 503 each), ``corrupt_extract``
        members to store damaged while answering that all went well."""
        created, errors = 0, []
        with tarfile.open(fileobj=io.BytesIO(data), mode='r|') as archive:
            for member in archive:
                if not member.isfile():
                    continue
                body = archive.extractfile(member).read()
                if member.name in self.corrupt_extract:
                    body = body[:-1] + b'?'  # stored damaged, the answer says created
                if member.name in self.fail_extract:
                    errors.append([quote('%s/%s' % (container, member.name)), '503 Service Unavailable'])
                    continue
                sent = dict((k, v) for k, v in (headers or {}).items() if k not in ('Accept', 'Content-Type'))
                content_type = None
                for key, value in member.pax_headers.items():
                    if key.startswith('SCHILY.xattr.user.meta.'):
                        sent['X-Object-Meta-' + key[len('SCHILY.xattr.user.meta.') :]] = value
                    elif key == 'SCHILY.xattr.user.mime_type':
                        content_type = value
                self.writes.append(('PUT', '%s/%s' % (container, member.name)))
                self._remember(container, member.name)
                self.containers[container]['objects'][member.name] = {
                    'data': body,
                    'etag': md5(body),
                    'manifest': None,
                    'modified': self.clock,
                    'content_type': content_type or 'application/x-tar',
                    'headers': self._object_headers(sent),
                }
                created += 1
        status = '201 Created' if not errors else '502 Bad Gateway'
        return (
            200,
            {},
            json.dumps({'Response Status': status, 'Number Files Created': created, 'Errors': errors}).encode(),
        )

    def body_request(self, method, container, name=None, query_string=None, headers=None, data=None):
        if (method, query_string) == ('PUT', 'extract-archive=tar'):
            with self.lock:
                self.extracts += 1
                return self._extract_archive(container, headers, data)
        assert (method, query_string) == ('DELETE', 'multipart-manifest=delete')
        with self.lock:
            self.writes.append(('DELETE', '%s/%s?multipart-manifest=delete' % (container, name)))
            obj = self._object(container, name, 'Object DELETE')
            if obj['manifest'] is None:  # 2.15.1 deletes nothing and says why in the body
                return (
                    200,
                    {},
                    json.dumps(
                        {
                            'Response Status': '400 Bad Request',
                            'Response Body': '',
                            'Number Deleted': 0,
                            'Number Not Found': 0,
                            'Errors': [['/%s/%s' % (container, name), '400 Bad Request']],
                        }
                    ).encode(),
                )
            self._remember(container, name)
            deleted = 1
            for segment in obj['manifest'] or ():
                segment_container, _sep, segment_name = segment['name'].lstrip('/').partition('/')
                if self.containers.get(segment_container, {}).get('objects', {}).pop(segment_name, None):
                    deleted += 1
            del self.containers[container]['objects'][name]
            return (
                200,
                {},
                json.dumps(
                    {'Response Status': '200 OK', 'Number Deleted': deleted, 'Number Not Found': 0, 'Errors': []}
                ).encode(),
            )


class Body(list):
    """A GET body in chunks, closable as swiftclient's is."""

    closed = False

    def close(self):
        self.closed = True
