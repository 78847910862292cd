# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_slo.SloWriter on the in-memory Swift: the plan writes nothing and says what apply does;
apply stores the file, resumes, deletes what the version it replaced and finished (marked)
versions leave, and never what a concurrent writer may still need (docs/design.md,
"Concurrent writers")."""

from __future__ import annotations

import os

import pytest
from swiftclient.exceptions import ClientException

from ansible_collections.ncloud.archive.plugins.module_utils import _client, _connection, _hash, _slo, _swift
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.tests.unit.conftest import FakeConnector
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift, md5

MIB = 1024 * 1024
BIG = bytes(range(256)) * (3 * MIB // 256) + b'tail'  # 4 segments of 1 MiB, the last 4 bytes
BULK = {'bulk_delete': {'max_deletes_per_request': 10000}}
MTIME = 1_700_000_000
# Versions of big.bin's segments that other runs left: named as archive_slo names them.
OTHER = 'big.bin/slo/1600000000.000000/9/1048576/'
SEG = 'c_segments'


@pytest.fixture
def fake():
    swift = FakeSwift()
    swift.add_container('c')
    swift.add_container(SEG)
    return swift


def writer(fake, tmp_path, data=BIG, **options):
    path = tmp_path / 'big.bin'
    path.write_bytes(data)
    os.utime(str(path), (MTIME, MTIME))
    opts = dict(segment_container=SEG, threads=2, on_failure='keep', stale_segment_age=86400, timeout=30)
    opts.update(options)
    client = _client.Client(FakeConnector(fake, BULK))
    return _slo.SloWriter(client, _connection.Deadline(0), 'c', 'big.bin', _hash.Local(str(path)), opts)


def plan(slo, reason='absent'):
    before, segments = slo.observe()
    return slo.plan(before, segments, reason, MIB, {}, 'application/octet-stream', None)


def own_prefix():
    return _swift.segment_prefix('big.bin', _swift.source_mtime(MTIME), len(BIG), MIB)


def segments(fake):
    return sorted(fake.containers[SEG]['objects'])


def stored(fake):
    return fake._data(fake.containers['c']['objects']['big.bin'])  # pylint: disable=protected-access


def test_the_plan_writes_nothing_and_apply_stores_the_file(fake, tmp_path):
    slo = writer(fake, tmp_path)
    predicted = plan(slo)
    assert fake.writes == []
    assert [a[0] for a in predicted.actions] == ['upload', 'manifest', 'cleanup']
    assert [j['name'] for j in predicted.actions[0][1]] == [own_prefix() + '%08d' % i for i in range(4)]
    outcome = slo.apply(predicted)
    after = outcome['after']
    assert stored(fake) == BIG and after['is_slo']
    # The outcome is what was written: the predicted segments, with the ETags Swift gave them.
    assert outcome['segments_deleted'] == 0
    assert [(s['name'], s['bytes']) for s in outcome['segments']] == [
        (s['name'], s['bytes']) for s in predicted.returns['segments']
    ]
    assert [s['etag'] for s in outcome['segments']] == [md5(BIG[i : i + MIB]) for i in range(0, len(BIG), MIB)]
    assert after['etag'] == _swift.slo_etag([md5(BIG[i : i + MIB]) for i in range(0, len(BIG), MIB)])
    assert segments(fake) == [own_prefix() + '%08d' % i for i in range(4)]  # no marker: nobody else wrote
    assert predicted.returns['segments_deleted'] == 0
    assert [s['name'] for s in predicted.returns['segments']] == [
        '/%s/%s%08d' % (SEG, own_prefix(), i) for i in range(4)
    ]


def test_a_resumed_upload_sends_only_the_missing_segments(fake, tmp_path):
    fake.add_object(SEG, own_prefix() + '00000000', BIG[:MIB])
    fake.add_object(SEG, own_prefix() + '00000001', b'damaged')
    slo = writer(fake, tmp_path)
    predicted = plan(slo)
    assert [j['name'][-8:] for j in predicted.actions[0][1]] == ['00000001', '00000002', '00000003']
    slo.apply(predicted)
    assert stored(fake) == BIG
    assert ('PUT', '%s/%s00000000' % (SEG, own_prefix())) not in fake.writes


def test_replacing_deletes_the_old_version_finished_versions_and_stale_segments_only(fake, tmp_path):
    fake.add_slo('c', 'big.bin', b'old version', 4, segment_container=SEG, prefix='big.bin/slo/1.000000/11/4/')
    finished = 'big.bin/slo/2.000000/9/1048576/'  # a version another run wrote and marked
    fake.add_object(SEG, finished + '00000000', b'finished')
    fake.add_object(SEG, finished + 'written', b'')
    fake.add_object(SEG, 'big.bin/slo/3.000000/9/1048576/00000000', b'killed long ago', age=3 * 86400)
    young = 'big.bin/slo/4.000000/9/1048576/00000000'  # perhaps a writer still at work
    fake.add_object(SEG, young, b'a writer now')
    fake.add_object(SEG, 'other.bin/slo/1.000000/9/1048576/00000000', b'another object', age=3 * 86400)
    slo = writer(fake, tmp_path)
    predicted = plan(slo, 'content differs')
    obsolete = ['/%s/big.bin/slo/1.000000/11/4/%08d' % (SEG, i) for i in range(3)] + [
        '/%s/%s00000000' % (SEG, finished),
        '/%s/big.bin/slo/3.000000/9/1048576/00000000' % SEG,
    ]
    assert predicted.returns['segments_deleted'] == len(obsolete)
    slo.apply(predicted)
    assert stored(fake) == BIG
    assert predicted.returns['segments_deleted'] == len(obsolete)
    assert segments(fake) == sorted(
        [own_prefix() + '%08d' % i for i in range(4)]
        + [young, own_prefix() + 'written', 'other.bin/slo/1.000000/9/1048576/00000000']
    )


def test_another_writers_segments_make_this_run_mark_its_version_written(fake, tmp_path):
    fake.add_object(SEG, OTHER + '00000000', b'a writer now')
    slo = writer(fake, tmp_path)
    slo.apply(plan(slo))
    marker = own_prefix() + 'written'
    assert ('PUT', '%s/%s' % (SEG, marker)) in fake.writes
    expires = int(fake.containers[SEG]['objects'][marker]['headers']['x-delete-at'])
    assert abs(expires - (fake.clock + _swift.MARKER_TTL)) <= 60  # it goes by itself a day later
    assert OTHER + '00000000' in segments(fake)  # and the other writer's segment stays


class Racer:
    """Plays another writer whose manifest replaces this run's between its manifest PUT and
    its clean-up (the clean-up's listing of the versions is where it lands): its manifest
    uses its own segment and, when ``reuse``, this run's first one."""

    def __init__(self, fake, reuse):
        self.fake, self.reuse, self.listings = fake, reuse, 0
        self.list = fake.get_container
        fake.get_container = self.get_container

    def get_container(self, container, **kwargs):
        if container == SEG:
            self.listings += 1
            if self.listings == 2:  # the plan's listing, then the clean-up's
                self.land()
        return self.list(container, **kwargs)

    def land(self):
        fake = self.fake
        fake.add_object(SEG, OTHER + '00000000', b'theirs')
        manifest = [{'name': '/%s/%s00000000' % (SEG, OTHER), 'bytes': 6, 'hash': md5(b'theirs')}]
        if self.reuse:
            manifest.append({'name': '/%s/%s00000000' % (SEG, own_prefix()), 'bytes': MIB, 'hash': md5(BIG[:MIB])})
        fake._store_slo('c', 'big.bin', manifest, 'application/octet-stream', {})  # pylint: disable=protected-access


@pytest.mark.parametrize('reuse', [True, False], ids=['live-uses-one-of-mine', 'live-uses-none-of-mine'])
def test_a_live_manifest_not_this_runs_keeps_what_it_uses(fake, tmp_path, reuse):
    slo = writer(fake, tmp_path)
    racer = Racer(fake, reuse)
    predicted = plan(slo)
    outcome = slo.apply(predicted)
    assert racer.listings == 2
    mine = [own_prefix() + '%08d' % i for i in range(4)]
    marker = own_prefix() + 'written'
    # Another writer's segments were listed: the version was marked written first.
    assert ('PUT', '%s/%s' % (SEG, marker)) in fake.writes
    left = segments(fake)
    assert OTHER + '00000000' in left  # the live manifest's own segment
    if reuse:
        # Only the one the live manifest uses is kept, with the marker that says it belongs
        # to a finished version (a later writer may delete it once the live one is replaced).
        assert left == sorted([OTHER + '00000000', mine[0], marker])
        assert stored(fake) == b'theirs' + BIG[:MIB]
    else:
        # None of this run's segments is used: they all go, and the marker with them.
        assert left == [OTHER + '00000000']
        assert stored(fake) == b'theirs'
    assert predicted.returns['segments_deleted'] == 0  # nothing obsolete when it planned
    assert outcome['segments_deleted'] == (3 if reuse else 4)


def test_a_manifest_replaced_right_after_its_put_fails_and_deletes_what_it_uploaded(fake, tmp_path):
    """The read-back after the manifest PUT shows another writer's: lost_race."""
    slo = writer(fake, tmp_path)
    put = fake.put_object

    def put_then_lose(container, name, contents, **kwargs):
        answer = put(container, name, contents, **kwargs)
        if kwargs.get('query_string') == 'multipart-manifest=put':
            fake.add_object('c', 'big.bin', b'plain, by someone else')
        return answer

    fake.put_object = put_then_lose
    with pytest.raises(ArchiveError, match='was replaced by another writer right after this run wrote it'):
        slo.apply(plan(slo))
    assert segments(fake) == []
    assert stored(fake) == b'plain, by someone else'


@pytest.mark.parametrize('on_failure', ['keep', 'delete'])
def test_a_failed_segment_upload_keeps_or_deletes_what_this_run_stored(fake, tmp_path, on_failure):
    slo = writer(fake, tmp_path, on_failure=on_failure, threads=1)
    put = fake.put_object

    def full(container, name, contents, **kwargs):
        if name.endswith('00000002'):
            raise ClientException('Object PUT failed', http_status=413, http_reason='Request Entity Too Large')
        return put(container, name, contents, **kwargs)

    fake.put_object = full
    with pytest.raises(ArchiveError) as err:
        slo.apply(plan(slo))
    assert 'big.bin' not in fake.containers['c']['objects']
    if on_failure == 'keep':
        assert 'on_failure=keep' in err.value.message
        assert len(segments(fake)) >= 2  # resumable
    else:
        assert segments(fake) == []
