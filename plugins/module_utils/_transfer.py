# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streaming: hashing files in slices, uploading from disk, verified downloads.

Internal use only: this file is not a public API of the collection. No Ansible here;
nothing reads a whole file or a whole segment into memory.
"""

from __future__ import annotations

import io
import os
import tarfile
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from ansible_collections.ncloud.archive.plugins.module_utils import _swift, _tree

# Through _connection, whose import of swiftclient keeps python-keystoneclient out.
from ansible_collections.ncloud.archive.plugins.module_utils._connection import LengthWrapper, MovingBody
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._hash import CHUNK, md5_comparable, md5_file


class Md5Slice(LengthWrapper):
    """swiftclient's LengthWrapper (a file slice that swiftclient can rewind for a retry)
    whose md5 is made for ETags, not for security, so that it also works in FIPS mode. Every
    block read (to be sent) is progress for ``deadline``."""

    def __init__(self, readable, length, md5=False, deadline=None):
        self.deadline = deadline
        super().__init__(readable, length, md5=md5)

    def read(self, size=-1):
        if self.deadline is not None:
            self.deadline.progress()
        return super().read(size)

    def _reset_md5(self):
        if self._md5:
            self.md5sum = _swift.new_md5()
        else:
            super()._reset_md5()


def md5_files(paths, threads):
    """{path: md5} of whole files, hashed on ``threads`` threads (hashlib drops the GIL)."""
    paths = list(dict.fromkeys(paths))
    if not paths:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(paths)))) as pool:
        return dict(zip(paths, pool.map(md5_file, paths)))


class VerifyError(ArchiveError):
    """Received data that does not match its md5 or length: damaged on the way, worth one
    more try."""


def is_verify_error(exc):
    """Whether ``exc`` (or the pool item failure it stands for) is a VerifyError."""
    return isinstance(exc, VerifyError) or isinstance(getattr(exc, 'cause', None), VerifyError)


class SegmentVerifier:
    """Checks a byte stream against an expected md5 (plain object) or SLO segments, as it flows.

    Feed it with ``update(chunk)``; ``finish()`` raises ArchiveError on any mismatch.
    """

    def __init__(self, expected_bytes, etag=None, segments=None):
        self.expected_bytes = expected_bytes
        self.received = 0
        if segments and all(md5_comparable(s) for s in segments):
            self.segments = [(s['bytes'], s['hash']) for s in segments]
        else:
            # Plain object: one "segment", the whole body. An SLO with ranges: length only.
            self.segments = [(expected_bytes, etag)]
        self.index = 0
        self.left = self.segments[0][0] if self.segments else 0
        self.digest = _swift.new_md5()

    def update(self, chunk):
        self.received += len(chunk)
        view = memoryview(chunk)
        while len(view):
            if self.index >= len(self.segments):
                raise VerifyError('received more than the %d bytes expected' % self.expected_bytes)
            take = min(self.left, len(view))
            self.digest.update(view[:take])
            view = view[take:]
            self.left -= take
            if self.left == 0:
                self._close_segment()

    def _close_segment(self):
        size, expected = self.segments[self.index]
        actual = self.digest.hexdigest()
        if expected and actual != expected:
            raise VerifyError(
                'segment %d (%d bytes) has md5 %s, the manifest says %s' % (self.index + 1, size, actual, expected)
                if len(self.segments) > 1
                else 'the data has md5 %s, the ETag says %s' % (actual, expected)
            )
        self.index += 1
        self.digest = _swift.new_md5()
        self.left = self.segments[self.index][0] if self.index < len(self.segments) else 0
        if self.left == 0 and self.index < len(self.segments):
            self._close_segment()

    def finish(self):
        if self.received != self.expected_bytes:
            raise VerifyError('received %d bytes, expected %d' % (self.received, self.expected_bytes))
        if self.index < len(self.segments):
            self._close_segment()


def sync_directory(directory):
    """fsync a directory, so that the renames in it last (best effort: not every file system
    allows it)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def write_atomically(path, fill, sync_dir=True):
    """Have ``fill(handle)`` write a temp file beside ``path``, fsync it, rename it into place.

    On any failure the temp file is removed and ``path`` is left as it was. A replaced file
    keeps its permissions; a new one gets the usual ones (0666 less the umask: the kernel
    applies it, as the file is created 0666). With ``sync_dir`` false the caller fsyncs the
    directory (once for many files).
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    fd, tmp = _tree.create_temp(directory, os.path.basename(path))
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb') as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
            # Renamed while the file is open: its flock tells other runs it is in use until then.
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if sync_dir:
        sync_directory(directory)


def download_to(path, chunks, verifier, sync_dir=True):
    """Write the stream ``chunks`` to ``path`` atomically, checked by ``verifier`` as it flows."""

    def fill(handle):
        for chunk in chunks:
            verifier.update(chunk)
            handle.write(chunk)
        verifier.finish()

    write_atomically(path, fill, sync_dir)


def parallel_download_possible(segments):
    """Whether an SLO can be fetched segment by segment and each one checked by its md5:
    more than one segment, none of them a byte range or a nested SLO."""
    return bool(segments) and len(segments) > 1 and all(md5_comparable(s) for s in segments)


def download_segments(path, client, segments, threads):
    """Write an SLO to ``path`` atomically by GETting its segments on ``threads`` connections.

    Each segment lands at its offset of the temp file (``os.pwrite``) and its md5 is checked
    against the manifest as it streams; at most threads x CHUNK bytes are in memory. The first
    failure stops the rest and leaves ``path`` as it was.
    """
    jobs = []
    offset = 0
    for index, segment in enumerate(segments):
        jobs.append(dict(segment, index=index, offset=offset))
        offset += segment['bytes']
    total = offset

    def fill(handle):
        handle.truncate(total)
        fd = handle.fileno()

        def fetch(worker, job):
            container, name = _swift.split_segment_path(job['name'])
            headers, body = worker.conn.get_object(container, name, resp_chunk_size=CHUNK)
            body = MovingBody(body, worker.deadline)
            if _swift.strip_etag(headers.get('etag')) != job['hash']:
                raise ArchiveError(
                    "segment %d '%s' is not the one the manifest lists (ETag %s, "
                    "the manifest says %s): the object changed while it was read; "
                    "run the task again" % (job['index'] + 1, job['name'], headers.get('etag'), job['hash'])
                )
            verifier = SegmentVerifier(job['bytes'], etag=job['hash'])
            position = job['offset']
            try:
                for chunk in body:
                    verifier.update(chunk)
                    view = memoryview(chunk)
                    while len(view):
                        written = os.pwrite(fd, view, position)
                        position += written
                        view = view[written:]
                verifier.finish()
            except VerifyError as exc:
                raise VerifyError("segment %d '%s': %s" % (job['index'] + 1, job['name'], exc.message)) from None

        def work(worker, job):
            worker.call("GET segment %d '%s'" % (job['index'] + 1, job['name']), fetch, worker, job)

        run_pool(client, work, jobs, threads)

    write_atomically(path, fill)


def put_file(client, container, name, path, content_type, headers, md5=None):
    """Upload a whole file as one object, streamed from disk, with its md5 as ETag.

    Swift refuses a body that does not match the ETag (422); an open file is retry-safe
    (swiftclient seeks back). Returns the md5.
    """
    md5 = md5 or md5_file(path)
    with open(path, 'rb') as handle:
        size = os.fstat(handle.fileno()).st_size
        client.put_object(
            container,
            name,
            Md5Slice(handle, size, deadline=client.deadline),
            content_length=size,
            etag=md5,
            content_type=content_type,
            headers=headers,
            chunk_size=CHUNK,
        )
    return md5


def bulk_put(worker, container, items, headers):
    """Upload small files as one tar archive that Swift extracts (``extract-archive``).

    ``items``: dicts with name, path, mtime (as recorded), content_type. Each file is read
    whole (they are small: _swift.BULK_FILE_MAX) into the archive, in memory, with the pax
    headers that become its X-Object-Meta-Mtime and content type. Returns ({name: md5 of
    the bytes sent}, {name: status} of the files Swift did not create): the caller checks
    the stored ETags against the md5s with one listing.
    """
    buffer, sent = io.BytesIO(), {}
    with tarfile.open(fileobj=buffer, mode='w', format=tarfile.PAX_FORMAT) as archive:
        for item in items:
            with open(item['path'], 'rb') as handle:
                data = handle.read()
            member = tarfile.TarInfo(item['name'])
            member.size, member.mode, member.type = len(data), 0o644, tarfile.REGTYPE
            member.mtime = int(float(item['mtime']))
            member.pax_headers = _swift.bulk_member_headers(item['mtime'], item['content_type'])
            archive.addfile(member, io.BytesIO(data))
            sent[item['name']] = _swift.md5_hex(data)
    body = buffer.getvalue()
    buffer.close()
    _created, failed = worker.extract_archive(container, body, headers)
    return sent, failed


# Answers that mean "too many requests" rather than "this request is wrong": the pool
# lowers its concurrency and sends the item again (429 Too Many Requests, 498 the rate
# limit of Swift's ratelimit middleware, 503 an overloaded proxy or backend).
THROTTLED = (429, 498, 503)


def run_pool(client, work, items, threads, most=None):
    """Run ``work(worker, item)`` for every item on a pool of ``threads``.

    A swiftclient Connection is not thread-safe: each thread gets its own Client with
    ``client.worker()`` (all share one Keystone session), given back with
    ``client.release()`` when every item is done, for the next pool to reuse its connection.
    With ``most`` above ``threads``, the number of requests in flight grows towards ``most``
    while that raises the rate (Throttle): on a long link, where round trips and not the
    server decide, a pool of small requests keeps more of them in flight.
    An item whose request is throttled (THROTTLED, after the connection's own retries and
    back-off) halves the number of requests in flight and goes again; at one in flight a
    throttled answer fails like any other. The first failure cancels what has not started
    and is raised as a PoolError that lists the items that did complete. Returns the results
    in order.
    """
    if not items:
        return []
    local = threading.local()
    workers = []
    gate = Throttle(max(1, min(threads, len(items))), min(most or threads, len(items)))

    def run(item):
        while True:
            with gate as limit:
                if not hasattr(local, 'worker'):  # only threads that send take one
                    local.worker = client.worker()
                    workers.append(local.worker)
                # A Client without a connection yet opens one: its handshake is no measure.
                warm = getattr(local.worker, 'connected', False)
                started = gate.clock()
                try:
                    result = work(local.worker, item)
                except ArchiveError as exc:
                    if exc.status not in THROTTLED or not gate.lower(limit):
                        raise
                    continue
                if warm:
                    gate.done(started, limit)
                return result

    pool = ThreadPoolExecutor(max_workers=gate.most)
    futures = [pool.submit(run, item) for item in items]
    wait(futures, return_when=FIRST_EXCEPTION)
    pool.shutdown(wait=True, cancel_futures=True)
    failed = [f for f in futures if not f.cancelled() and f.exception() is not None]
    if failed:
        exc = failed[0].exception()
        if not isinstance(exc, ArchiveError):
            raise exc
        done = [item for item, f in zip(items, futures) if f.done() and not f.cancelled() and f.exception() is None]
        raise PoolError(exc, done) from None
    client.release(workers)
    return [f.result() for f in futures]


class Throttle:
    """How many requests of a pool may be in flight: ``with throttle as limit:`` waits for a
    place and gives the limit the request started under.

    ``lower(limit)``, for a request that was throttled, halves the limit once per burst
    (requests that started under a limit that is lowered since do not lower it again) and
    says whether the request may go again: not when it was sent with one in flight.

    Growth, with ``most`` above ``limit``: ``done(started, limit)`` reports a request that
    went on a connection already open (a handshake is no measure of the link) and started
    at ``started`` (``clock()``) under ``limit``. Once as many of them as the limit are
    done, their mean time gives the rate, limit / mean time (Little's law). After the first
    level the limit doubles; while a step raised the rate by GAIN or more it doubles again
    (quadruples after a doubling that raised it by LINEAR: the link decides), up to
    ``most``; one that did not pay is taken back, and growth stops, as it does
    at the first throttled answer. On a long link each request waits for its round trip
    however many are in flight, so twice the requests give twice the rate; where the
    server's or the client's CPU decides, each takes longer instead, and the limit stays.
    ``peak`` is the highest limit reached.
    """

    GAIN = 1.25
    LINEAR = 1.8

    def __init__(self, limit, most=None, clock=time.monotonic):
        self.limit = limit
        self.most = max(limit, most or limit)
        self.peak = limit
        self.in_flight = 0
        self.lowered = 0
        self.growing = self.most > limit
        self.clock = clock
        self._times = []  # of the requests sent under the current limit
        self._level = None  # (limit, rate) of the level before
        self._cond = threading.Condition()

    def __enter__(self):
        with self._cond:
            while self.in_flight >= self.limit:
                self._cond.wait()
            self.in_flight += 1
            return self.limit

    def __exit__(self, *exc_info):
        with self._cond:
            self.in_flight -= 1
            self._cond.notify()  # one place is free: one waiter (of up to ``most``) wakes

    def done(self, started, limit):
        with self._cond:
            if not self.growing or limit != self.limit:
                return
            self._times.append(self.clock() - started)
            if len(self._times) < limit:
                return
            rate = limit / max(sum(self._times) / len(self._times), 1e-9)
            self._times = []
            if self._level is not None and rate < self._level[1] * self.GAIN:
                self.limit, self.growing = self._level[0], False
            elif limit >= self.most:
                self.growing = False
            else:
                # A doubling that (nearly) doubled the rate says the link decides: skip a level.
                step = 4 if self._level is not None and rate >= self._level[1] * self.LINEAR else 2
                self._level = (limit, rate)
                self.limit = min(self.most, limit * step)
                self.peak = max(self.peak, self.limit)
            self._cond.notify_all()

    def lower(self, started_under):
        with self._cond:
            self.growing = False
            if started_under == 1:
                return False
            if self.limit == started_under:
                self.limit = max(1, started_under // 2)
                self.lowered += 1
            return True


def segment_expiries(client, paths, threads):
    """{'/container/object': X-Delete-At (0 when none)} of segments, HEADed on ``threads``."""

    def head(worker, path):
        facts = worker.head_path(path)
        if facts is None:
            raise ArchiveError("segment '%s' that the manifest lists does not exist" % path, status=404)
        return facts.get('delete_at') or 0

    paths = list(paths)
    return dict(zip(paths, run_pool(client, head, paths, threads)))


def post_expiry(worker, path, target):
    """POST the expiry ``target`` (0: none) to the segment ``path``. A segment has no user
    metadata, so the POST, which replaces it, changes only the expiry."""
    container, name = _swift.split_segment_path(path)
    worker.call(
        "POST expiry of segment '%s'" % path,
        worker.conn.post_object,
        container,
        name,
        _swift.expiry_headers(target),
    )


def set_expiry(client, paths, target, threads):
    """post_expiry() of segments on ``threads``."""
    run_pool(client, lambda worker, path: post_expiry(worker, path, target), list(paths), threads)


def upload_segments(client, path, container, jobs, threads, headers=None):
    """Upload file slices as segments; returns the jobs with ``etag`` set, in order.

    ``jobs`` are dicts with name, offset and bytes. Each slice streams from its own file handle
    through swiftclient's LengthWrapper (retry-safe: it seeks back); its md5 is computed while
    it is sent (Md5Slice) and checked against the ETag Swift answers. On failure a PoolError lists the
    jobs that were uploaded.
    """

    def put(worker, job):
        with open(path, 'rb') as handle:
            handle.seek(job['offset'])
            body = Md5Slice(handle, job['bytes'], md5=True, deadline=worker.deadline)
            etag = worker.call(
                "PUT segment '%s/%s'" % (container, job['name']),
                worker.conn.put_object,
                container,
                job['name'],
                body,
                content_length=job['bytes'],
                content_type='application/octet-stream',
                headers=headers,
            )
        sent = body.get_md5sum()
        if not etag:
            # An answer without ETag (a PUT that raced another one of the same segment) says
            # nothing about the data: what Swift stores does.
            stored = worker.head_object(container, job['name'])
            etag = stored['etag'] if stored else None
        if _swift.strip_etag(etag) != sent:
            raise ArchiveError(
                "segment '%s' arrived with md5 %s, %s was sent: the data was "
                "damaged on the way" % (job['name'], etag, sent)
            )
        return dict(job, etag=sent)

    return run_pool(client, put, jobs, threads)


class PoolError(ArchiveError):
    """One item of a pool failed (``cause``); ``done`` lists the items that completed."""

    def __init__(self, cause, done):
        super().__init__(cause.message, cause.status, cause.transaction_id)
        self.cause = cause
        self.done = done
