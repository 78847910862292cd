# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dynamic Large Objects, as python-swiftclient 3.x (NAVER's guide) and rclone write them:
restored byte for byte, found identical, and never leaving a segment when replaced or deleted."""

from __future__ import annotations

import os

import pytest

from ansible_collections.ncloud.archive.plugins.modules import archive_info, archive_object, archive_slo, archive_sync
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift

MIB = 1024 * 1024
BULK = {'bulk_delete': {'max_deletes_per_request': 10000}}
DATA = bytes((i * 31) % 251 for i in range(2 * MIB + 1234))


@pytest.fixture(params=['pike', 'modern'])
def fake(request):
    swift = FakeSwift(modern=request.param == 'modern')
    swift.add_container('c')
    swift.add_container('other')
    return swift


def objects(fake, container):
    return sorted(fake.containers.get(container, {}).get('objects', {}))


def run_object(run_module, fake, **args):
    return run_module(archive_object.main, fake, info=BULK, container='c', retries=0, **args)


def test_a_dlo_downloads_byte_for_byte_and_is_then_identical(run_module, fake, tmp_path):
    fake.add_dlo('c', 'db.dump', DATA, MIB)
    dest = tmp_path / 'db.dump'
    result, failed = run_object(run_module, fake, name='db.dump', state='downloaded', dest=str(dest))
    assert not failed and result['changed'], result
    assert dest.read_bytes() == DATA
    fake.writes = []
    again, failed = run_object(run_module, fake, name='db.dump', state='downloaded', dest=str(dest))
    assert not failed and not again['changed'], again
    same, failed = run_object(run_module, fake, name='db.dump', src=str(dest))
    assert not failed and not same['changed'] and fake.writes == [], same


@pytest.mark.parametrize('how', ['absent', 'plain', 'slo'])
def test_replacing_or_deleting_a_dlo_leaves_none_of_its_segments(run_module, fake, tmp_path, how):
    fake.add_dlo('c', 'db.dump', DATA, MIB)
    fake.add_object('c_segments', 'unrelated/0001', b'not a segment of db.dump')
    src = tmp_path / 'new'
    src.write_bytes(b'the new content' * 100000)
    if how == 'slo':
        args = dict(container='c', name='db.dump', src=str(src), segment_size='1MB')
        checked, failed = run_module(archive_slo.main, fake.copy(), info=BULK, _ansible_check_mode=True, **args)
        assert not failed and checked['changed_reason'] == 'stored as a Dynamic Large Object', checked
        result, failed = run_module(archive_slo.main, fake, info=BULK, **args)
    else:
        args = dict(state='absent') if how == 'absent' else dict(src=str(src))
        checked, failed = run_object(run_module, fake.copy(), name='db.dump', _ansible_check_mode=True, **args)
        assert not failed and checked['segments_deleted'] == 3, checked
        result, failed = run_object(run_module, fake, name='db.dump', **args)
    assert not failed and result['changed'] and result['segments_deleted'] == 3, result
    left = objects(fake, 'c_segments')
    assert [n for n in left if not n.startswith('db.dump/slo/')] == ['unrelated/0001']
    assert any(n.startswith('db.dump/slo/') for n in left) == (how == 'slo')


def test_metadata_posted_to_a_dlo_keeps_it_a_dlo(run_module, fake, tmp_path):
    fake.add_dlo('c', 'db.dump', DATA, MIB, segment_container='other', prefix='db dump/%/')
    src = tmp_path / 'db.dump'
    src.write_bytes(DATA)
    fake.writes = []
    result, failed = run_object(run_module, fake, name='db.dump', src=str(src), metadata={'owner': 'ops'})
    assert not failed and result['changed_reason'] == 'metadata differs', result
    assert fake.writes == [('POST', 'c/db.dump')]
    headers, body = fake.get_object('c', 'db.dump')
    assert body == DATA and headers['x-object-meta-owner'] == 'ops'
    assert headers['x-object-manifest'] == 'other/db%20dump/%25/'


def test_a_dlo_with_its_segments_in_another_container(run_module, fake, tmp_path):
    fake.add_dlo('c', 'x.bin', DATA, MIB, segment_container='other', prefix='parts/x.bin/')
    dest = tmp_path / 'x.bin'
    result, failed = run_object(run_module, fake, name='x.bin', state='downloaded', dest=str(dest))
    assert not failed and dest.read_bytes() == DATA, result
    info, failed = run_module(archive_info.main, fake, info=BULK, container='c', name='x.bin')
    assert not failed and info['object']['dlo_manifest'] == 'other/parts/x.bin/', info
    result, failed = run_object(run_module, fake, name='x.bin', state='absent')
    assert not failed and result['segments_deleted'] == 3 and objects(fake, 'other') == [], result


def test_a_dlo_whose_segment_changes_while_read_fails_and_leaves_dest(run_module, fake, tmp_path, monkeypatch):
    fake.add_dlo('c', 'db.dump', DATA, MIB)
    dest = tmp_path / 'db.dump'
    dest.write_bytes(b'the last good copy')
    real_get = fake.get_object

    def get_after_another_upload(container, name, **kwargs):
        if container == 'c_segments':  # another writer replaced one segment meanwhile
            fake.add_object('c_segments', sorted(objects(fake, 'c_segments'))[1], b'x' * MIB)
        return real_get(container, name, **kwargs)

    monkeypatch.setattr(fake, 'get_object', get_after_another_upload)
    result, failed = run_object(run_module, fake, name='db.dump', state='downloaded', dest=str(dest), threads=1)
    assert failed and "'db.dump'" in result['msg'] and 'left as it was' in result['msg'], result
    assert dest.read_bytes() == b'the last good copy'
    assert [p for p in os.listdir(str(tmp_path)) if p != 'db.dump'] == []


def sync(run_module, fake, **args):
    params = dict(container='c', prefix='t/', slo_threshold=4 * MIB, threads=3, retries=0, directory_markers=False)
    params.update(args)
    return run_module(archive_sync.main, fake, info=BULK, **params)


def test_a_tree_of_dlos_restores_reuploads_as_identical_and_cleans_up(run_module, fake, tmp_path):
    fake.add_dlo('c', 't/a.dump', DATA, MIB, **{'X-Object-Meta-Mtime': '1700000000.000000'})
    fake.add_dlo('c', 't/b.dump', DATA[: MIB + 7], 300000, segment_container='other', prefix='b/')
    fake.add_object('c', 't/small.txt', b'small', **{'X-Object-Meta-Mtime': '1700000001.000000'})
    dest = tmp_path / 'restored'
    restored, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed and restored['downloaded'] == ['t/a.dump', 't/b.dump', 't/small.txt'], restored
    assert (dest / 'a.dump').read_bytes() == DATA and (dest / 'b.dump').read_bytes() == DATA[: MIB + 7]
    assert int(os.stat(str(dest / 'a.dump')).st_mtime) == 1700000000
    again, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed and not again['changed'], again

    fake.writes = []
    up, failed = sync(run_module, fake, path=str(dest))
    assert not failed and not up['changed'] and fake.writes == [], up

    (dest / 'a.dump').write_bytes(b'replaced by a small file')
    (dest / 'b.dump').unlink()
    up, failed = sync(run_module, fake, path=str(dest), delete_extra=True)
    assert not failed and up['uploaded'] == ['t/a.dump'] and up['deleted'] == ['t/b.dump'], up
    assert objects(fake, 'c_segments') == [] and objects(fake, 'other') == []
    assert fake.get_object('c', 't/a.dump')[1] == b'replaced by a small file'


def test_a_dlo_whose_prefix_is_a_whole_container_takes_nothing_else_with_it(run_module, fake):
    """A hostile or careless manifest (X-Object-Manifest: other/) names every object of its
    container: deleting it must not delete them."""
    fake.add_object('other', 'precious.db', b'somebody else\'s data')
    fake.add_dlo('c', 'wide', b'', MIB, segment_container='other', prefix='')
    result, failed = run_object(run_module, fake, name='wide', state='absent')
    assert not failed and result['changed'] and result.get('segments_deleted', 0) == 0, result
    assert objects(fake, 'other') == ['precious.db'] and 'wide' not in objects(fake, 'c')


def test_a_force_delete_takes_the_segments_of_its_large_objects(run_module, fake, tmp_path):
    from ansible_collections.ncloud.archive.plugins.modules import archive_container

    fake.add_slo('c', 'big.slo', DATA, MIB)
    fake.add_dlo('c', 'big.dlo', DATA, MIB)
    fake.add_dlo('c', 'far.dlo', DATA, MIB, segment_container='other', prefix='far/')
    fake.add_object('c', 'plain.txt', b'plain')
    fake.add_object('c_segments', 'someone-else/0001', b'not a segment of c')
    fake.add_object('other', 'kept.txt', b'kept')
    args = dict(name='c', state='absent', force=True, retries=0)
    checked, failed = run_module(archive_container.main, fake.copy(), info=BULK, _ansible_check_mode=True, **args)
    assert not failed and checked['segments_deleted'] == 9 and checked['deleted_objects'] == 4, checked
    result, failed = run_module(archive_container.main, fake, info=BULK, **args)
    assert not failed and result['segments_deleted'] == 9 and result['deleted_objects'] == 4, result
    assert 'c' not in fake.containers
    assert objects(fake, 'c_segments') == ['someone-else/0001'] and objects(fake, 'other') == ['kept.txt']
