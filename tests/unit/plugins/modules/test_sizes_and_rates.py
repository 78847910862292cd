# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every option that takes bytes, through its module's entry point: one message for a value
that is not a size, sent before any request, and one meaning for 1GiB, 1GB, 1 GiB and
1073741824. Then ``elapsed`` and ``bytes_per_second`` of every transfer, on a stubbed clock
(4 s from the start of a run to its result), from the bytes that really moved."""

from __future__ import annotations

import itertools

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _module
from ansible_collections.ncloud.archive.plugins.modules import (
    archive_container,
    archive_object,
    archive_slo,
    archive_sync,
)
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.test_check_mode import (
    BIG,
    BULK,
    MIB,
    slo_resume,
    write,
)

GIB = 1073741824
SAME_SIZES = ['1GiB', '1GB', '1 GiB', '1 GB', GIB, str(GIB)]
NOT_A_SIZE = "%s: '1 GiBB' is not a size: use bytes (67108864) or a number with a unit, e.g. 64MiB, 64MB or 1GiB"
SECONDS = 4.0  # what the stubbed clock says every run took


@pytest.fixture
def fake():
    swift = FakeSwift()
    swift.add_container('c')
    return swift


@pytest.fixture
def clock(monkeypatch):
    """Each reading of the clock 4 s after the last one: every run takes SECONDS."""
    monkeypatch.setattr(_module, 'clock', itertools.count(100.0, SECONDS).__next__)


def rate(moved):
    return int(round(moved / SECONDS))


def tree(tmp_path, files):
    root = tmp_path / 'tree'
    root.mkdir(exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    return str(root)


# --- sizes ---------------------------------------------------------------------------------


def bad_slo(tmp_path):
    return archive_slo, dict(container='c', name='big.bin', src=write(tmp_path, 'big.bin', BIG), segment_size='1 GiBB')


def bad_sync_threshold(tmp_path):
    return archive_sync, dict(container='c', path=tree(tmp_path, {'a': b'a'}), slo_threshold='1 GiBB')


def bad_sync_threshold_download(tmp_path):
    return archive_sync, dict(container='c', path=str(tmp_path / 'dest'), mode='download', slo_threshold='1 GiBB')


def bad_sync_segment_size(tmp_path):
    return archive_sync, dict(container='c', path=tree(tmp_path, {'a': b'a'}), segment_size='1 GiBB')


def bad_quota(tmp_path):
    return archive_container, dict(name='c', quota_bytes='1 GiBB')


@pytest.mark.parametrize(
    'option, setup',
    [
        ('segment_size', bad_slo),
        ('slo_threshold', bad_sync_threshold),
        ('slo_threshold', bad_sync_threshold_download),
        ('segment_size', bad_sync_segment_size),
        ('quota_bytes', bad_quota),
    ],
    ids=[
        'archive_slo-segment_size',
        'archive_sync-slo_threshold',
        'download-slo_threshold',
        'archive_sync-segment_size',
        'archive_container-quota_bytes',
    ],
)
def test_a_value_that_is_not_a_size_fails_before_any_request(run_module, fake, tmp_path, option, setup):
    module, args = setup(tmp_path)
    result, failed = run_module(module.main, fake, info=BULK, **args)
    assert failed and result['msg'] == NOT_A_SIZE % option
    assert fake.reads == [] and fake.writes == []


@pytest.mark.parametrize('value', SAME_SIZES, ids=repr)
def test_quota_bytes_one_gib(run_module, fake, value):
    result, failed = run_module(
        archive_container.main, fake, name='c', quota_bytes=value, _ansible_check_mode=True, _ansible_diff=True
    )
    assert not failed, result
    assert result['diff']['after']['quota_bytes'] == GIB


@pytest.mark.parametrize('value', SAME_SIZES, ids=repr)
def test_slo_segment_size_one_gib(run_module, fake, tmp_path, value):
    args = dict(container='c', name='big.bin', src=write(tmp_path, 'big.bin', BIG), segment_size=value)
    result, failed = run_module(archive_slo.main, fake, info=BULK, _ansible_check_mode=True, **args)
    assert not failed, result
    assert result['segment_size'] == GIB and result['segments_uploaded'] == 1


@pytest.mark.parametrize('value', SAME_SIZES, ids=repr)
def test_sync_slo_threshold_one_gib(run_module, fake, tmp_path, value):
    """Sparse files of 1 GiB and one byte less: only the first is at the threshold (check mode
    plans them without reading them)."""
    root = tmp_path / 'tree'
    root.mkdir()
    for name, size in (('exact.bin', GIB), ('below.bin', GIB - 1)):
        with open(str(root / name), 'wb') as handle:
            handle.truncate(size)
    args = dict(container='c', prefix='t/', path=str(root), slo_threshold=value, _ansible_check_mode=True)
    result, failed = run_module(archive_sync.main, fake, info=BULK, **args)
    assert not failed, result
    assert result['uploaded'] == ['t/below.bin', 't/exact.bin'] and result['slo'] == ['t/exact.bin']


@pytest.mark.parametrize('value', ['1MiB', '1 MiB', '1MB', MIB, str(MIB)], ids=repr)
def test_sync_segment_size_one_mib(run_module, fake, tmp_path, value):
    args = dict(container='c', prefix='t/', path=tree(tmp_path, {'big.bin': BIG}), slo_threshold='2 MiB')
    result, failed = run_module(archive_sync.main, fake, info=BULK, segment_size=value, **args)
    assert not failed and result['slo'] == ['t/big.bin'], result
    segments = sorted(fake.containers['c_segments']['objects'])
    assert len(segments) == 4 and all('/%d/%d/' % (len(BIG), MIB) in name for name in segments)


# --- elapsed and bytes_per_second --------------------------------------------------------


def assert_rate(result, moved):
    assert result['elapsed'] == SECONDS and isinstance(result['elapsed'], float)
    assert result['bytes_per_second'] == rate(moved) and isinstance(result['bytes_per_second'], int)


def test_slo_counts_the_segments_it_uploaded_not_those_it_reused(run_module, clock, tmp_path):
    """One segment of four is there from an interrupted run: the rate is of the other three."""
    fake = FakeSwift()
    args = slo_resume(fake, tmp_path)
    checked, failed = run_module(archive_slo.main, fake.copy(), info=BULK, _ansible_check_mode=True, **args)
    assert not failed and checked['segments_uploaded'] == 3
    assert_rate(checked, 0)  # the planning took its time; nothing moved

    result, failed = run_module(archive_slo.main, fake, info=BULK, **args)
    assert not failed and (result['segments_reused'], result['segments_uploaded']) == (1, 3)
    assert_rate(result, len(BIG) - MIB)
    assert result['bytes_per_second'] != rate(len(BIG))

    again, failed = run_module(archive_slo.main, fake, info=BULK, **args)
    assert not failed and not again['changed']
    assert_rate(again, 0)


def test_object_upload_download_and_the_runs_that_move_nothing(run_module, fake, clock, tmp_path):
    data = b'0123456789' * 1000
    src = write(tmp_path, 'f.bin', data)
    up = dict(container='c', name='f.bin', src=src)
    result, failed = run_module(archive_object.main, fake, info=BULK, **up)
    assert not failed and result['changed']
    assert_rate(result, len(data))

    result, failed = run_module(archive_object.main, fake, info=BULK, metadata={'a': '1'}, **up)
    assert not failed and result['changed_reason'] == 'metadata differs'
    assert_rate(result, 0)

    down = dict(container='c', name='f.bin', state='downloaded', dest=str(tmp_path / 'out.bin'))
    checked, failed = run_module(archive_object.main, fake, info=BULK, _ansible_check_mode=True, **down)
    assert not failed and checked['changed']
    assert_rate(checked, 0)
    result, failed = run_module(archive_object.main, fake, info=BULK, **down)
    assert not failed and result['changed']
    assert_rate(result, len(data))
    result, failed = run_module(archive_object.main, fake, info=BULK, **down)
    assert not failed and not result['changed']
    assert_rate(result, 0)

    result, failed = run_module(archive_object.main, fake, info=BULK, container='c', name='f.bin', state='absent')
    assert not failed and result['changed']
    assert_rate(result, 0)


def test_object_download_of_an_slo_counts_all_its_bytes(run_module, fake, clock, tmp_path):
    fake.add_slo('c', 'big.bin', BIG, MIB)
    dest = str(tmp_path / 'out.bin')
    result, failed = run_module(
        archive_object.main, fake, info=BULK, container='c', name='big.bin', state='downloaded', dest=dest, threads=3
    )
    assert not failed and result['changed']
    assert_rate(result, len(BIG))


def test_sync_counts_what_moved_each_way(run_module, fake, clock, tmp_path):
    """Up: the small file that changed and the SLO's segments, not the identical file; down:
    every file written."""
    small, same = b'small file\n', b'identical\n'
    root = tree(tmp_path, {'small.txt': small, 'same.txt': same, 'big.bin': BIG})
    fake.add_object('c', 't/same.txt', same)
    args = dict(container='c', prefix='t/', path=root, slo_threshold='2MiB', segment_size='1MiB', threads=3)
    checked, failed = run_module(archive_sync.main, fake.copy(), info=BULK, _ansible_check_mode=True, **args)
    assert not failed and checked['changed']
    assert_rate(checked, 0)

    result, failed = run_module(archive_sync.main, fake, info=BULK, **args)
    assert not failed and sorted(result['uploaded']) == ['t/big.bin', 't/small.txt'], result
    assert_rate(result, len(small) + len(BIG))

    again, failed = run_module(archive_sync.main, fake, info=BULK, **args)
    assert not failed and not again['changed']
    assert_rate(again, 0)

    down = dict(args, mode='download', path=str(tmp_path / 'restored'))
    result, failed = run_module(archive_sync.main, fake, info=BULK, **down)
    assert not failed and len(result['downloaded']) == 3, result
    assert_rate(result, len(small) + len(same) + len(BIG))
    again, failed = run_module(archive_sync.main, fake, info=BULK, **down)
    assert not failed and not again['changed']
    assert_rate(again, 0)


def test_modules_that_move_no_data_report_no_rate(run_module, fake):
    result, failed = run_module(archive_container.main, fake, name='c')
    assert not failed and 'elapsed' not in result and 'bytes_per_second' not in result
