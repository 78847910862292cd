# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client layer: every request to Swift goes through a Client, which explains failures.

Internal use only: this file is not a public API of the collection. It does not import
Ansible. A failure leaves as one ArchiveError naming the operation, the HTTP status and the
transaction id, scrubbed of secrets, with the client exception as its cause. Where "not
found" is an ordinary answer (HEAD, a listing, a delete), it is returned as a value: None, or
False for a delete.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

from ansible_collections.ncloud.archive.plugins.module_utils import _connection, _swift
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError


class Client:
    """Requests of one task on one swiftclient connection (made on first use).

    ``secrets`` is a set that receives the token and the temp URL keys this client sees (the
    module's ``no_log_values``). ``worker()`` gives a Client on a connection of its own for a
    pool thread (a swiftclient Connection is not thread-safe); ``release()`` takes workers
    back when their pool is done, so that the next pool's threads reuse their connections
    instead of opening new ones (a TCP and TLS handshake each, round trips on a long link).
    """

    def __init__(self, connector, secrets=None):
        self.connector = connector
        self.secrets = secrets if secrets is not None else set()
        self._conn = None
        self._idle = []
        self._idle_lock = threading.Lock()

    @property
    def connected(self):
        """Whether this Client has opened its connection (made its first request)."""
        return self._conn is not None

    @property
    def conn(self):
        if self._conn is None:
            self._conn = self.connector.connect()
        return self._conn

    def worker(self):
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        return Client(self.connector, self.secrets)

    def release(self, workers):
        """Keep ``workers`` (from worker(), their requests done) for the next pool."""
        with self._idle_lock:
            self._idle.extend(workers)
            self._idle.sort(key=lambda worker: worker.connected)  # connected ones first out

    @property
    def deadline(self):
        """The task's time limits (a _connection.Deadline), to tell of progress; or None."""
        return getattr(self.connector, 'deadline', None)

    def call(self, operation, func, *args, **kwargs):
        """``func(*args, **kwargs)``; a client exception becomes an ArchiveError naming
        ``operation``, with the exception as its cause."""
        try:
            result = func(*args, **kwargs)
        except _connection.DeadlineExceeded as exc:
            raise ArchiveError('%s did not finish: %s' % (operation, exc.message)) from exc
        except ArchiveError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            if _connection.is_client_error(exc):
                raise _connection.describe_error(exc, operation) from exc
            raise
        token = getattr(self._conn, 'token', None)
        if token:
            self.secrets.add(token)
        return result

    def _read(self, operation, func, *args, **kwargs):
        """Like call(), but a 404 answer is None."""
        return _none_if_missing(lambda: self.call(operation, func, *args, **kwargs))

    # --- the cluster ----------------------------------------------------------------
    def limits(self):
        """Cluster limits from /info (read once), Swift's defaults where it says nothing."""
        return self.call('reading the cluster limits (/info)', self.connector.limits, self.conn)

    def storage_url(self):
        """The account's storage URL (authenticates when no request has yet)."""
        if not self.conn.url:
            self.conn.url, self.conn.token = self.call('authentication', self.conn.get_auth)
            self.secrets.add(self.conn.token)
        return self.conn.url

    # --- reads: None when not found -------------------------------------------------
    def head_account(self):
        return self.call('HEAD account', self.conn.head_account)

    def list_account(self, prefix=None, marker=None, limit=None):
        return _swift.page_through(
            lambda page_marker, page_limit: self.call(
                'list account', self.conn.get_account, marker=page_marker, limit=page_limit, prefix=prefix
            )[1],
            marker=marker,
            limit=limit,
            page_size=self.limits()['container_listing_limit'],
        )

    def container_headers(self, container):
        """A container's HEAD headers, or None. The temp URL keys the owner sees there are
        secrets: they join ``secrets``."""
        headers = self._read("HEAD container '%s'" % container, self.conn.head_container, container)
        if headers is not None:
            self.secrets.update(_swift.temp_url_keys(headers, 'container').values())
        return headers

    def head_container(self, container):
        """Facts of a container, or None."""
        headers = self.container_headers(container)
        return None if headers is None else _swift.container_facts(container, headers)

    def require_container(self, container):
        """Facts of a container that must exist before anything is written into it."""
        facts = self.head_container(container)
        if facts is None:
            raise ArchiveError(
                "container '%s' does not exist: create it with ncloud.archive.archive_container" % container
            )
        return facts

    def list_container(self, container, prefix=None, delimiter=None, marker=None, limit=None):
        """A container's listing, page by page (past the server's 10,000 a page); None when
        the container does not exist."""
        page_size = self.limits()['container_listing_limit']
        return _none_if_missing(
            lambda: _swift.page_through(
                lambda page_marker, page_limit: self.call(
                    "list container '%s'" % container,
                    self.conn.get_container,
                    container,
                    marker=page_marker,
                    limit=page_limit,
                    prefix=prefix,
                    delimiter=delimiter,
                )[1],
                marker=marker,
                limit=limit,
                page_size=page_size,
            )
        )

    def head_object(self, container, name, newest=False):
        """Facts of an object, or None. ``newest`` asks every replica (``X-Newest``) and takes
        the newest answer: for reads that decide a deletion, where a stale replica's answer
        could name segments that the live manifest no longer uses, or miss ones it does."""
        headers = self._read(
            "HEAD object '%s' in container '%s'" % (name, container),
            self.conn.head_object,
            container,
            name,
            headers=_swift.NEWEST_HEADERS if newest else None,
        )
        return None if headers is None else _swift.object_facts(container, name, headers)

    def head_path(self, path):
        """Facts of the object at ``/container/object`` (a segment), or None."""
        container, name = _swift.split_segment_path(path)
        return self.head_object(container, name)

    def get_manifest(self, container, name, newest=False):
        """The segments of an SLO from ``?multipart-manifest=get``, or None."""
        found = self._read(
            "GET manifest of object '%s' in container '%s'" % (name, container),
            self.conn.get_object,
            container,
            name,
            query_string='multipart-manifest=get',
            headers=_swift.NEWEST_HEADERS if newest else None,
        )
        return None if found is None else _swift.parse_manifest(found[1])

    def get_object(self, container, name, chunk_size):
        """(headers, body iterator) of an object's data; every chunk read is progress."""
        headers, body = self.call(
            "GET object '%s' in container '%s'" % (name, container),
            self.conn.get_object,
            container,
            name,
            resp_chunk_size=chunk_size,
        )
        return headers, _connection.MovingBody(body, self.deadline)

    def find_object(self, container, name, chunk_size):
        """Like get_object(), or None when the object is not there."""
        return _none_if_missing(lambda: self.get_object(container, name, chunk_size))

    # --- writes ---------------------------------------------------------------------
    def put_container(self, container, headers=None):
        self.call("create container '%s'" % container, self.conn.put_container, container, headers=headers)

    def post_container(self, container, headers):
        self.call("update container '%s'" % container, self.conn.post_container, container, headers)

    def delete_container(self, container):
        """Delete an empty container; False when it was not there."""
        return self._delete("delete container '%s'" % container, self.conn.delete_container, container)

    def put_object(self, container, name, contents, **kwargs):
        """PUT an object; returns the ETag Swift answered."""
        return self.call(
            "PUT object '%s' in container '%s'" % (name, container),
            self.conn.put_object,
            container,
            name,
            contents,
            **kwargs,
        )

    def post_object(self, container, name, headers):
        self.call(
            "POST object '%s' in container '%s'" % (name, container), self.conn.post_object, container, name, headers
        )

    def delete_object(self, container, name):
        """Delete one object; False when it was not there."""
        return self._delete(
            "DELETE object '%s' in container '%s'" % (name, container), self.conn.delete_object, container, name
        )

    def put_manifest(self, container, name, body, content_type, headers):
        """PUT an SLO manifest; Swift checks every segment meanwhile, with this token."""
        self.long_request(
            lambda: self.call(
                "PUT manifest of SLO '%s' in container '%s'" % (name, container),
                self.conn.put_object,
                container,
                name,
                body,
                query_string='multipart-manifest=put',
                content_type=content_type,
                headers=headers,
            )
        )

    def extract_archive(self, container, archive, headers):
        """PUT a tar ``archive`` (bytes) with ``?extract-archive=tar``: Swift stores each file
        of it as an object of ``container`` (its member name), with the request's headers
        (``headers``: X-Delete-At, user metadata) and its member's pax headers. Returns
        (created, {name: status} of the members that failed)."""
        _status, _headers, body = self.long_request(
            lambda: self.call(
                "bulk upload of %d bytes into container '%s'" % (len(archive), container),
                self.conn.body_request,
                'PUT',
                container,
                query_string='extract-archive=tar',
                headers=dict(headers, **{'Accept': 'application/json', 'Content-Type': 'application/x-tar'}),
                data=archive,
            )
        )
        return _swift.parse_bulk_extract(body, container)

    def copy_object(self, container, name, source_container, source, headers):
        """Copy ``source_container/source`` to ``container/name`` on the server (``PUT`` with
        ``X-Copy-From``; no data passes through the client). With ``multipart-manifest=get``
        an SLO's or a DLO's manifest is copied, not its data (Swift 2.15.1's copy middleware):
        the copy is the same large object over the same segments. User metadata is copied;
        ``headers`` (``X-Delete-At``) are the copy's own."""
        copy_from = quote(('/%s/%s' % (source_container, source)).encode('utf-8'), safe='/')
        self.long_request(
            lambda: self.call(
                "copy object '%s' in container '%s' to '%s' in container '%s'"
                % (source, source_container, name, container),
                self.conn.put_object,
                container,
                name,
                b'',
                content_length=0,
                query_string='multipart-manifest=get',
                headers=dict(headers, **{'X-Copy-From': copy_from}),
            )
        )

    def delete_slo(self, container, name):
        """Delete an SLO's manifest and segments; returns the number of segments deleted.

        Swift answers 200 whatever happened: the JSON body says what was deleted and what failed.
        """

        def delete():
            _status, _headers, body = self.call(
                "DELETE (with segments) SLO '%s' in container '%s'" % (name, container),
                self.conn.body_request,
                'DELETE',
                container,
                name,
                query_string='multipart-manifest=delete',
                headers={'Accept': 'application/json'},
            )
            return _swift.parse_bulk_delete(body)[0]

        return max(self.long_request(delete) - 1, 0)

    def delete_paths(self, paths):
        """Delete ``/container/object`` paths: bulk delete when the server has it, else one by
        one. Returns the number deleted (missing ones are not an error)."""
        paths = list(paths)
        if not paths:
            return 0
        limits = self.limits()
        deleted = 0
        if limits['bulk_delete']:
            step = limits['bulk_max_deletes_per_request']
            for start in range(0, len(paths), step):
                deleted += self.bulk_delete(paths[start : start + step])
            return deleted
        for path in paths:
            # A name from a listing or a manifest goes into a URL here (a bulk-delete body is
            # not resolved): checked before anything is deleted.
            _swift.check_dot_segments(path, 'the object to delete')
        for path in paths:
            container, name = _swift.split_segment_path(path)
            deleted += self._delete("DELETE '%s'" % path, self.conn.delete_object, container, name)
        return deleted

    def bulk_delete(self, paths):
        """``?bulk-delete`` of ``paths``; returns the number deleted.

        Swift reports each object that failed inside a 200 answer, so swiftclient's retries
        never see them: objects that failed with a server error (an object server busy for a
        moment) are sent again, with the connection's retries and back-off.
        """
        retries = getattr(self.conn, 'retries', 0)
        deleted = 0
        attempt = 0
        while True:
            try:
                return deleted + self.long_request(
                    lambda batch=paths: _swift.parse_bulk_delete(
                        self.call(
                            'bulk delete of %d object(s)' % len(batch),
                            self.conn.post_account,
                            headers={'Accept': 'application/json', 'Content-Type': 'text/plain'},
                            query_string='bulk-delete',
                            data=_swift.bulk_delete_body(batch),
                        )[1]
                    )[0]
                )
            except _swift.BulkDeleteError as exc:
                named = set(exc.retry)
                retry = [p for p in paths if p in named or quote(p) in named]
                if not retry or len(retry) != len(named) or attempt == retries:
                    raise
                deleted += exc.deleted
                paths = retry
                pause = min(2**attempt, 16)
                left = getattr(self.conn, 'deadline', None)
                left = left.remaining() if left is not None else None
                if left is not None and left < pause:
                    raise
                time.sleep(pause)
                attempt += 1

    def long_request(self, func):
        """Run ``func`` (a request that runs long on the server) with a token that lasts.

        Retried once with a new token when its sub-requests were refused with 401.
        """
        self.call('authentication', _connection.renew_token, self.conn)
        try:
            return func()
        except ArchiveError as exc:
            if not _connection.sub_requests_unauthorized(exc):
                raise
        self.call('authentication', _connection.renew_token, self.conn, True)
        return func()

    def _delete(self, operation, func, *args):
        """Like call(); True, or False when there was nothing to delete (404)."""
        return _none_if_missing(lambda: self.call(operation, func, *args) or True) is not None

    # --- explanations ---------------------------------------------------------------
    def quota_hint(self, exc, container):
        """``exc`` with the container's quotas named, when it is a 413 of an upload into it."""
        if exc.status != 413:
            return exc
        try:
            facts = self.head_container(container)
        except ArchiveError:
            return exc
        quotas = [
            '%s=%d (%s now)' % (option, facts[option], facts[used])
            for option, used in (('quota_bytes', 'bytes'), ('quota_count', 'object_count'))
            if facts and facts[option]
        ]
        if not quotas:
            return exc
        error = ArchiveError(
            "%s; container '%s' has %s: raise or remove it with "
            "ncloud.archive.archive_container, or delete objects" % (exc.message, container, ' and '.join(quotas)),
            exc.status,
            exc.transaction_id,
        )
        error.__cause__ = exc.__cause__
        return error


def _none_if_missing(read):
    """``read()``, or None when the server answered 404 (the one place "not found" becomes a
    value)."""
    try:
        return read()
    except ArchiveError as exc:
        if exc.status == 404:
            return None
        raise
