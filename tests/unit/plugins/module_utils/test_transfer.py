# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _client, _hash, _objects, _transfer, _tree
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.tests.unit.conftest import FakeConnector
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift

DATA = bytes(range(256)) * 40  # 10240 bytes


def md5(data):
    return hashlib.md5(data).hexdigest()


def segments_of(data, size):
    return [
        {'name': '/s/%d' % i, 'bytes': len(data[i : i + size]), 'hash': md5(data[i : i + size])}
        for i in range(0, len(data), size)
    ]


def chunks(data, size=777):
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_md5_file_of_a_slice(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(DATA)
    assert _hash.md5_file(str(path)) == md5(DATA)
    assert _hash.md5_file(str(path), 100, 1000) == md5(DATA[100:1100])


def test_md5_files_on_threads(tmp_path):
    paths = []
    for i in range(5):
        path = tmp_path / ('f%d' % i)
        path.write_bytes(DATA[: 1000 * i])
        paths.append(str(path))
    assert _transfer.md5_files(paths + paths[:1], 3) == dict((p, md5(DATA[: 1000 * i])) for i, p in enumerate(paths))
    assert _transfer.md5_files([], 3) == {}


def test_file_matches_segments_cut_at_manifest_sizes(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(DATA)
    assert _hash.file_matches_segments(str(path), segments_of(DATA, 4096))
    changed = DATA[:5000] + b'X' + DATA[5001:]
    assert not _hash.file_matches_segments(str(path), segments_of(changed, 4096))
    assert not _hash.file_matches_segments(str(path), segments_of(DATA[:-1], 4096))


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


def test_the_temp_file_is_locked_until_its_rename(tmp_path):
    """While a download writes, its temp file is ``.<name>.<8 hex>.part`` and locked, so no
    other run takes it for the leftover of a killed one; a temp nobody locks is removable."""
    dest = tmp_path / 'out.bin'
    seen = []

    def fill(handle):
        temps = [n for n in os.listdir(str(tmp_path)) if _tree.is_temp(n)]
        seen.extend(temps)
        assert len(temps) == 1 and temps[0].startswith('.out.bin.')
        assert _tree.temp_in_use(str(tmp_path / temps[0]))
        assert not _tree.remove_stale_temp(str(tmp_path / temps[0])), 'a temp in use was removed'
        handle.write(b'data')

    _transfer.write_atomically(str(dest), fill)
    assert seen and dest.read_bytes() == b'data' and os.listdir(str(tmp_path)) == ['out.bin']
    left = tmp_path / _tree.temp_name('out.bin', '0badc0de')
    left.write_bytes(b'da')
    assert not _tree.temp_in_use(str(left)) and _tree.remove_stale_temp(str(left)) and not left.exists()
    assert _tree.remove_stale_temp(str(left)), 'a temp already gone counts as removed'
    for name in ('.out.bin.part', 'out.bin.0badc0de.part', '.out.bin.0BADC0DE.part', '.x.0badc0de.partial'):
        assert not _tree.is_temp(name), name


def test_a_new_file_gets_0666_less_the_umask_from_many_threads(tmp_path):
    """The temp file is created 0666 and the kernel applies the umask: nothing reads (and so
    sets) the process's umask while other threads create files."""
    from concurrent.futures import ThreadPoolExecutor

    old = os.umask(0o027)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(
                pool.map(
                    lambda i: _transfer.write_atomically(str(tmp_path / ('f%d' % i)), lambda h: h.write(b'x')),
                    range(32),
                )
            )
        other = tmp_path / 'other'
        other.write_bytes(b'')
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)
    assert sorted(oct(os.stat(str(tmp_path / ('f%d' % i))).st_mode & 0o777) for i in range(32)) == [oct(0o640)] * 32
    assert sorted(os.listdir(str(tmp_path))) == sorted(['f%d' % i for i in range(32)] + ['other'])


def segment_store(data, size):
    """The shared FakeSwift holding segments '/s/<offset>'. A test damages one by changing
    its stored bytes (the ETag Swift answers stays the md5 of the bytes written) or its ETag
    (a segment replaced since the manifest was read)."""
    swift = FakeSwift()
    swift.add_container('s')
    for i in range(0, len(data), size):
        swift.add_object('s', '%d' % i, data[i : i + size])
    return swift


def requested(swift):
    return [what.split('/', 1)[1] for kind, what in swift.reads if kind == 'GET']


def manifest_of(data, size):
    return [
        {'name': '/s/%d' % i, 'bytes': len(data[i : i + size]), 'hash': md5(data[i : i + size])}
        for i in range(0, len(data), size)
    ]


def client(conn):
    return _client.Client(FakeConnector(conn))


@pytest.mark.parametrize('threads', [1, 3, 8])
def test_segments_are_written_at_their_offsets(tmp_path, threads):
    dest = tmp_path / 'out.bin'
    store = segment_store(DATA, 3000)
    _transfer.download_segments(str(dest), client(store), manifest_of(DATA, 3000), threads)
    assert dest.read_bytes() == DATA
    assert sorted(requested(store)) == sorted(['0', '3000', '6000', '9000'])
    assert os.listdir(tmp_path) == ['out.bin']


def test_a_segment_with_other_bytes_fails_and_leaves_dest(tmp_path):
    dest = tmp_path / 'out.bin'
    dest.write_bytes(b'old')
    damaged = DATA[3000:5999] + b'X'
    store = segment_store(DATA, 3000)
    store.containers['s']['objects']['3000']['data'] = damaged
    with pytest.raises(
        ArchiveError,
        match=r"segment 2 '/s/3000': the data has md5 %s, the ETag says %s" % (md5(damaged), md5(DATA[3000:6000])),
    ) as err:
        _transfer.download_segments(str(dest), client(store), manifest_of(DATA, 3000), 2)
    assert dest.read_bytes() == b'old' and os.listdir(tmp_path) == ['out.bin']
    assert _transfer.is_verify_error(err.value)  # archive_object tries such a download once more


def test_a_replaced_segment_is_refused_by_its_etag(tmp_path):
    dest = tmp_path / 'out.bin'
    store = segment_store(DATA, 3000)
    store.containers['s']['objects']['6000']['etag'] = md5(b'new')
    with pytest.raises(ArchiveError, match="segment 3 '/s/6000' is not the one the manifest lists") as err:
        _transfer.download_segments(str(dest), client(store), manifest_of(DATA, 3000), 4)
    assert not dest.exists() and os.listdir(tmp_path) == []
    assert not _transfer.is_verify_error(err.value)  # a changed object is not retried


def test_a_short_segment_fails(tmp_path):
    dest = tmp_path / 'out.bin'
    store = segment_store(DATA, 3000)
    store.containers['s']['objects']['9000']['data'] = DATA[9000:-1]
    with pytest.raises(ArchiveError, match="segment 4 '/s/9000': received 1239 bytes, expected 1240"):
        _transfer.download_segments(str(dest), client(store), manifest_of(DATA, 3000), 2)
    assert os.listdir(tmp_path) == []


def test_parallel_only_for_md5_checkable_manifests():
    manifest = manifest_of(DATA, 3000)
    assert _transfer.parallel_download_possible(manifest)
    assert not _transfer.parallel_download_possible(manifest[:1])
    assert not _transfer.parallel_download_possible(None)
    assert not _transfer.parallel_download_possible(manifest[:2] + [dict(manifest[2], range='0-9')])
    assert not _transfer.parallel_download_possible(manifest[:2] + [dict(manifest[2], sub_slo=True)])


def test_fetch_verified_retries_damaged_bytes_once_and_says_dest_was_kept():
    calls = []

    def damaged_then_whole():
        calls.append(1)
        if len(calls) == 1:
            raise _transfer.VerifyError('md5 mismatch')
        return 'done'

    assert _objects.fetch_verified(damaged_then_whole, "object 'o'", '/d/o') == (
        'done',
        "the download of object 'o' failed its md5 check (md5 mismatch) and was retried",
    )
    assert len(calls) == 2

    def always_damaged():
        raise _transfer.VerifyError('md5 mismatch')

    with pytest.raises(ArchiveError, match=r"download of object 'o' failed, '/d/o' was left as it was: md5 mismatch"):
        _objects.fetch_verified(always_damaged, "object 'o'", '/d/o')

    def refused():
        calls.append(1)
        raise ArchiveError('GET failed', 503, 'tx1')

    calls.clear()
    with pytest.raises(ArchiveError) as err:
        _objects.fetch_verified(refused, "object 'o'", '/d/o')
    assert len(calls) == 1 and err.value.status == 503 and err.value.transaction_id == 'tx1'

    def disk_full():
        raise OSError(28, 'No space left on device')

    with pytest.raises(ArchiveError, match=r"could not write '/d/o' \(left as it was\)"):
        _objects.fetch_verified(disk_full, "object 'o'", '/d/o')


class ThrottlingClient:
    """Workers whose requests answer 503 while more than ``capacity`` are in flight (an
    overloaded proxy). The first ``capacity + 1`` requests are held together at a barrier,
    so that the first burst is over capacity whatever the machine's speed."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.lock = threading.Lock()
        self.in_flight = 0
        self.calls = 0
        self.throttled = 0
        self.done = []
        self.first_burst = threading.Barrier(capacity + 1, timeout=30)

    def worker(self):
        return self

    def release(self, workers):
        self.released = workers

    def work(self, worker, item):
        with self.lock:
            self.in_flight += 1
            self.calls += 1
            burst = self.calls <= self.capacity + 1
            over = self.in_flight > self.capacity
            if over:
                self.throttled += 1
        try:
            if burst:
                self.first_burst.wait()
            if over:
                raise ArchiveError('Object PUT failed: 503 Service Unavailable', 503)
            time.sleep(0.01)
            with self.lock:
                self.done.append(item)
            return item * 10
        finally:
            with self.lock:
                self.in_flight -= 1


def test_a_throttled_pool_lowers_its_concurrency_and_completes():
    """8 threads against a server that takes 2 at a time: whatever the timing, every item
    is done once, in order, and never with more in flight than the limit allows."""
    client = ThrottlingClient(capacity=2)
    assert _transfer.run_pool(client, client.work, list(range(40)), 8) == [i * 10 for i in range(40)]
    assert sorted(client.done) == list(range(40))
    assert client.throttled >= 1  # the first burst was over capacity, and was sent again


def test_throttle_halves_once_per_burst_and_fails_at_one():
    gate = _transfer.Throttle(8)
    with gate as first:
        with gate as second:
            assert first == second == 8 and gate.in_flight == 2
            assert gate.lower(first) and gate.limit == 4
            assert gate.lower(second) and gate.limit == 4  # the same burst: not halved again
    with gate as third:
        assert third == 4
    assert gate.lower(third) and gate.limit == 2
    assert gate.lower(2) and gate.limit == 1
    assert not gate.lower(1) and gate.limit == 1  # sent with one in flight: it fails
    assert gate.lowered == 3 and gate.in_flight == 0


def test_a_throttled_answer_with_one_in_flight_fails_the_pool():
    def always_throttled(worker, item):
        raise ArchiveError('Object PUT failed: 429 Too Many Requests', 429)

    with pytest.raises(_transfer.PoolError) as err:
        _transfer.run_pool(ThrottlingClient(1), always_throttled, [1, 2, 3], 4)
    assert err.value.status == 429


def test_other_errors_are_not_retried_by_the_pool():
    calls = []

    def refused(worker, item):
        calls.append(item)
        raise ArchiveError('Object PUT failed: 413 Request Entity Too Large', 413)

    with pytest.raises(_transfer.PoolError):
        _transfer.run_pool(ThrottlingClient(1), refused, [1], 4)
    assert calls == [1]


class Clock:
    """A clock that moves only when told: the Throttle's windows without real time."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def window(gate, clock, seconds):
    """Send as many requests as the limit, all in flight on open connections, each done
    ``seconds`` later. Returns the limit they were sent under."""
    limit = gate.limit
    started = []
    for _request in range(limit):
        gate.__enter__()
        started.append(clock())
    clock.now += seconds
    for start in started:
        gate.done(start, limit)
        gate.__exit__(None, None, None)
    return limit


def test_throttle_grows_while_more_in_flight_raise_the_rate():
    """A long link: each request waits its round trip (1 s here) whatever the number in
    flight, so doubling them doubles the rate, up to ``most``."""
    clock = Clock()
    gate = _transfer.Throttle(8, 32, clock=clock)
    assert [window(gate, clock, 1.0) for _window in range(4)] == [8, 16, 32, 32]
    assert gate.limit == gate.peak == 32 and not gate.growing


def test_throttle_takes_back_a_doubling_that_did_not_pay():
    """The server decides: twice the requests in flight take twice as long, so the rate
    stays and the limit goes back to where it was, for good."""
    clock = Clock()
    gate = _transfer.Throttle(8, 32, clock=clock)
    assert window(gate, clock, 1.0) == 8
    assert window(gate, clock, 2.0) == 16  # the same rate: 8 a second
    assert gate.limit == 8 and not gate.growing and gate.peak == 16
    assert [window(gate, clock, 0.01) for _window in range(3)] == [8, 8, 8]  # even when it is fast then


def test_throttle_needs_a_clear_gain_to_go_on():
    """A doubling that doubled the rate skips a level (x4); a step that raised it by less
    than 25% is taken back."""
    clock = Clock()
    gate = _transfer.Throttle(4, 64, clock=clock)
    window(gate, clock, 1.0)  # 4 a second
    window(gate, clock, 1.0)  # 8 a second: doubled, so the next step is x4
    assert gate.limit == 32
    window(gate, clock, 3.5)  # 32 in 3.5 s: 9.1 a second, under 1.25 x 8
    assert gate.limit == 8 and gate.peak == 32 and not gate.growing


def test_throttle_doubles_after_a_partial_gain():
    clock = Clock()
    gate = _transfer.Throttle(4, 64, clock=clock)
    window(gate, clock, 1.0)  # 4 a second
    window(gate, clock, 4 / 3)  # 6 a second: 1.5x, a gain but not a doubling
    assert gate.limit == 16 and gate.growing


def test_throttle_without_room_or_after_a_throttled_answer_does_not_grow():
    clock = Clock()
    fixed = _transfer.Throttle(8, 8, clock=clock)
    assert [window(fixed, clock, 1.0) for _window in range(3)] == [8, 8, 8]
    gate = _transfer.Throttle(8, 32, clock=clock)
    window(gate, clock, 1.0)
    assert gate.limit == 16
    with gate as limit:
        assert gate.lower(limit) and gate.limit == 8
    assert [window(gate, clock, 0.1) for _window in range(3)] == [8, 8, 8]
    assert gate.peak == 16 and gate.lowered == 1


def test_only_requests_sent_under_the_current_limit_count():
    """A request sent under an earlier limit says nothing of this one's rate."""
    clock = Clock()
    gate = _transfer.Throttle(2, 8, clock=clock)
    start = clock()
    clock.now += 1.0
    for _request in range(5):
        gate.done(start, 4)
    assert gate.limit == 2 and gate.growing


class CountingConnector:
    """Counts the connections that Clients make (a Client connects on its first request)."""

    def __init__(self):
        self.connections = 0
        self.lock = threading.Lock()

    def connect(self):
        with self.lock:
            self.connections += 1
        return object()


def pool_of_four(client, items=12):
    """A pool of four threads whose first four items meet at a barrier, so that all four
    threads really send (with fewer, a count of connections would prove nothing)."""
    barrier = threading.Barrier(4, timeout=30)

    def work(worker, item):
        assert worker.conn is not None
        if item < 4:
            barrier.wait()
        return item

    assert _transfer.run_pool(client, work, list(range(items)), 4) == list(range(items))


def test_pools_reuse_the_connections_of_the_pools_before():
    """Two pools of four threads, one after the other: the second sends on the first one's
    four connections."""
    connector = CountingConnector()
    client = _client.Client(connector)
    pool_of_four(client)
    assert connector.connections == 4
    pool_of_four(client)
    assert connector.connections == 4


def test_a_failed_pool_does_not_hand_its_connections_on():
    """A failure may leave a connection mid-answer: those workers are dropped, and the next
    pool opens connections of its own."""
    connector = CountingConnector()
    client = _client.Client(connector)

    def refused(worker, item):
        assert worker.conn is not None
        raise ArchiveError('Object GET failed: 500 Internal Server Error', 500)

    with pytest.raises(_transfer.PoolError):
        _transfer.run_pool(client, refused, [1], 2)
    assert connector.connections == 1
    pool_of_four(client)
    assert connector.connections == 5


def test_the_next_worker_is_one_with_a_connection():
    """Of the workers given back, those that have a connection go out first: a pool that
    needs fewer threads than the one before opens none."""
    connector = CountingConnector()
    client = _client.Client(connector)
    connected, idle = client.worker(), client.worker()
    assert connected.conn is not None
    client.release([connected, idle])
    assert client.worker() is connected and connector.connections == 1
