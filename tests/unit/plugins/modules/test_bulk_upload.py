# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""archive_sync's bulk upload: new small files go in tar archives that Swift extracts, when
/info lists bulk_upload; what the listing afterwards does not show as sent goes one by one."""

from __future__ import annotations

import os

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _hash, _swift
from ansible_collections.ncloud.archive.plugins.modules import archive_sync
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift, md5

BULK_INFO = {
    'bulk_delete': {'max_deletes_per_request': 10000},
    'bulk_upload': {'max_containers_per_extraction': 10000, 'max_failed_extractions': 1000},
}
ARGS = dict(container='c', prefix='t/', threads=3, retries=0, directory_markers=False)


def small_tree(tmp_path, count=20, extra=()):
    src = tmp_path / 'src'
    (src / 'd').mkdir(parents=True)
    for i in range(count):
        path = src / 'd' / ('f%02d.txt' % i)
        path.write_bytes(b'file %d\n' % i * (i + 1))
        os.utime(str(path), (1700000000 + i, 1700000000 + i))
    for name in extra:
        (src / name).write_bytes(b'extra ' + name.encode())
    return src


def stored(fake, name):
    return fake.containers['c']['objects'][name]


def test_new_small_files_go_in_archives_with_their_mtimes_and_types(run_module, tmp_path):
    fake = FakeSwift()
    fake.add_container('c')
    src = small_tree(tmp_path)
    result, failed = run_module(archive_sync.main, fake, info=BULK_INFO, path=str(src), **ARGS)
    assert not failed, result
    assert fake.extracts == 1 and result['summary']['uploaded'] == 20
    for i in range(20):
        path = src / 'd' / ('f%02d.txt' % i)
        obj = stored(fake, 't/d/f%02d.txt' % i)
        assert obj['data'] == path.read_bytes()
        assert obj['headers']['x-object-meta-mtime'] == _hash.Local(str(path)).mtime
        assert obj['content_type'] == 'text/plain'
    again, failed = run_module(archive_sync.main, fake, info=BULK_INFO, path=str(src), **ARGS)
    assert not failed and not again['changed'] and fake.extracts == 1


@pytest.mark.parametrize(
    'fault, puts',
    [
        ('fail_extract', 1),  # refused in the answer: only the PUT of its own
        ('corrupt_extract', 2),  # stored damaged, answered as created: the listing finds it
    ],
)
def test_a_member_not_stored_as_sent_goes_again_on_its_own(run_module, tmp_path, fault, puts):
    fake = FakeSwift()
    fake.add_container('c')
    setattr(fake, fault, {'t/d/f03.txt'})
    src = small_tree(tmp_path)
    result, failed = run_module(archive_sync.main, fake, info=BULK_INFO, path=str(src), **ARGS)
    assert not failed, result
    assert stored(fake, 't/d/f03.txt')['data'] == (src / 'd' / 'f03.txt').read_bytes()
    assert fake.writes.count(('PUT', 'c/t/d/f03.txt')) == puts
    assert result['summary']['uploaded'] == 20


def test_what_is_not_new_small_and_ascii_goes_one_by_one(run_module, tmp_path):
    fake = FakeSwift()
    fake.add_container('c')
    src = small_tree(tmp_path, extra=['h\u00e4user.txt'])
    (src / 'big.bin').write_bytes(b'x' * (_swift.BULK_FILE_MAX + 1))
    fake.add_object('c', 't/d/f00.txt', b'an older version')
    result, failed = run_module(archive_sync.main, fake, info=BULK_INFO, path=str(src), **ARGS)
    assert not failed, result
    one_by_one = sorted(n for _m, n in fake.writes if n.startswith('c/'))
    assert fake.extracts == 1
    assert stored(fake, 't/h\u00e4user.txt')['data'] == 'extra h\u00e4user.txt'.encode()
    assert stored(fake, 't/d/f00.txt')['data'] == (src / 'd' / 'f00.txt').read_bytes()
    assert md5(stored(fake, 't/big.bin')['data']) == md5(b'x' * (_swift.BULK_FILE_MAX + 1))
    assert {'c/t/d/f00.txt', 'c/t/big.bin', 'c/t/h\u00e4user.txt'} <= set(one_by_one)


@pytest.mark.parametrize(
    'info, option, count',
    [
        ({'bulk_delete': {'max_deletes_per_request': 10000}}, True, 20),  # a server without it
        (BULK_INFO, False, 20),  # turned off
        (BULK_INFO, True, _swift.BULK_MIN_FILES - 1),  # too few to be worth it
    ],
)
def test_no_archive_without_the_server_the_option_or_enough_files(run_module, tmp_path, info, option, count):
    fake = FakeSwift()
    fake.add_container('c')
    src = small_tree(tmp_path, count=count)
    result, failed = run_module(archive_sync.main, fake, info=info, path=str(src), bulk_upload=option, **ARGS)
    assert not failed, result
    assert fake.extracts == 0 and result['summary']['uploaded'] == count


def test_check_mode_predicts_a_bulk_upload_and_sends_nothing(run_module, tmp_path):
    fake = FakeSwift()
    fake.add_container('c')
    src = small_tree(tmp_path)
    real_swift = fake.copy()
    checked, failed = run_module(
        archive_sync.main, fake, info=BULK_INFO, path=str(src), _ansible_check_mode=True, **ARGS
    )
    assert not failed and fake.writes == [] and fake.extracts == 0
    real, failed = run_module(archive_sync.main, real_swift, info=BULK_INFO, path=str(src), **ARGS)
    assert not failed and real_swift.extracts == 1
    assert checked['uploaded'] == real['uploaded'] and checked['changed_reason'] == real['changed_reason']


def test_archives_keep_within_their_limits():
    most = _swift.BULK_ARCHIVE_BYTES
    items = [dict(name='n%d' % i, size=size) for i, size in enumerate([most + 1, most - 20, 10, 10, 1])]
    # A file above the limit goes alone; the others fill archives up to it.
    assert [[i['name'] for i in a] for a in _swift.bulk_archives(items, 1000)] == [['n0'], ['n1', 'n2', 'n3'], ['n4']]
    many = [dict(name='n%d' % i, size=1) for i in range(2500)]
    assert [len(a) for a in _swift.bulk_archives(many, 1000)] == [1000, 1000, 500]
    assert [len(a) for a in _swift.bulk_archives(many[:10], 4)] == [4, 4, 2]
