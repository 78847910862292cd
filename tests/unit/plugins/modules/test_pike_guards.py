# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guards for what Swift 2.15.1 (NAVER's) does and the lab cannot imitate (docs/design.md,
"What the lab cannot imitate"): each test fails when its guard is taken out."""

from __future__ import annotations

import pytest

from ansible_collections.ncloud.archive.plugins.modules import archive_object, archive_slo, archive_sync
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift

MIB = 1024 * 1024
BULK = {'bulk_delete': {'max_deletes_per_request': 10000}}


def data(size, seed):
    return bytes((seed + i * 13) % 256 for i in range(256)) * (size // 256) + bytes(size % 256)


@pytest.fixture
def fake():
    swift = FakeSwift()
    swift.add_container('c')
    return swift


def stored(fake, name):
    """(is an SLO, the bytes a GET returns) of an object, read from the newest replica."""
    headers, body = fake.get_object('c', name, headers={'X-Newest': 'true'})
    return headers.get('x-static-large-object') == 'True', body


def test_the_read_back_after_a_manifest_put_asks_every_replica(run_module, fake, tmp_path):
    """Without X-Newest the read-back sees a replica that missed the PUT, takes it for a lost
    race and deletes the segments the new manifest uses."""
    fake.add_slo('c', 'o.bin', data(2 * MIB, 1), MIB)
    src = tmp_path / 'o.bin'
    src.write_bytes(data(3 * MIB, 2))
    fake.lagging_replica = True
    result, failed = run_module(
        archive_slo.main, fake, info=BULK, container='c', name='o.bin', src=str(src), segment_size='1MB', retries=0
    )
    assert not failed, result
    assert result['segments_uploaded'] == 3 and result['segments_deleted'] == 2
    assert stored(fake, 'o.bin') == (True, src.read_bytes())


def test_a_replaced_objects_segments_are_read_from_every_replica(run_module, fake, tmp_path):
    """archive_sync replacing an SLO by a small file: a stale replica would show no SLO, and
    its segments would be left behind."""
    fake.add_object('c', 't/f.bin', b'a plain object, first')
    plain = fake.containers['c']['objects']['t/f.bin']
    fake.add_slo('c', 't/f.bin', data(MIB + 1, 3), MIB)  # then an SLO, which one replica missed
    fake.previous[('c', 't/f.bin')] = plain
    fake.lagging_replica = True
    src = tmp_path / 'src'
    src.mkdir()
    (src / 'f.bin').write_bytes(b'small now')
    result, failed = run_module(
        archive_sync.main,
        fake,
        info=BULK,
        container='c',
        prefix='t/',
        path=str(src),
        retries=0,
        directory_markers=False,
    )
    assert not failed and result['uploaded'] == ['t/f.bin'], result
    assert fake.containers['c_segments']['objects'] == {}


@pytest.mark.parametrize('module', [archive_slo, archive_object])
def test_a_post_that_drops_the_slo_flag_is_repaired(run_module, fake, tmp_path, module):
    body = data(2 * MIB + 7, 4)
    src = tmp_path / 'o.bin'
    src.write_bytes(body)
    result, failed = run_module(
        archive_slo.main, fake, info=BULK, container='c', name='o.bin', src=str(src), segment_size='1MB', retries=0
    )
    assert not failed, result
    fake.post_drops_slo = True
    args = dict(container='c', name='o.bin', src=str(src), metadata={'owner': 'ops'}, retries=0)
    result, failed = run_module(module.main, fake, info=BULK, **args)
    assert not failed and result['changed'], result
    assert stored(fake, 'o.bin') == (True, body)
    headers = fake.head_object('c', 'o.bin')
    assert headers['x-object-meta-owner'] == 'ops'


def test_a_manifest_too_large_for_the_server_fails_before_any_segment(run_module, fake, tmp_path):
    src = tmp_path / 'o.bin'
    src.write_bytes(data(3 * MIB, 5))
    info = dict(BULK, slo={'max_manifest_size': 300})
    args = dict(container='c', name='o.bin', src=str(src), segment_size='1MB', retries=0)
    for checked in (True, False):
        fake.writes = []
        result, failed = run_module(archive_slo.main, fake, info=info, _ansible_check_mode=checked, **args)
        assert failed and 'max_manifest_size' in result['msg'] and 'nothing was uploaded' in result['msg'], result
        assert 'segment_size of at least' in result['msg']
        assert fake.writes == []
