# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real run reports what happened, not what was predicted: each module's result lays
the outcome of applying its plan over the plan's prediction. Here the two differ, because
Swift's view changed or lagged between the observation and the writes."""

from __future__ import annotations

import pytest

from ansible_collections.ncloud.archive.plugins.modules import archive_container, archive_object, archive_slo
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift

MIB = 1024 * 1024
BIG = bytes(range(256)) * (3 * MIB // 256 + 11)


@pytest.fixture
def fake():
    return FakeSwift()


def test_container_force_delete_counts_the_objects_it_deleted_not_the_lagging_stats(run_module, fake):
    """Swift updates a container's object count asynchronously: the HEAD says 5, the
    listing holds 3. Check mode predicts 5; the real run deletes and reports 3."""
    fake.add_container('c')
    for name in ('a', 'b', 'c'):
        fake.add_object('c', name, b'x')
    real_head = fake.head_container

    def lagging(container):
        headers = real_head(container)
        headers['x-container-object-count'] = '5'
        return headers

    fake.head_container = lagging
    args = dict(name='c', state='absent', force=True)
    predicted, failed = run_module(archive_container.main, fake, _ansible_check_mode=True, **args)
    assert not failed and predicted['deleted_objects'] == 5, predicted
    real, failed = run_module(archive_container.main, fake, **args)
    assert not failed and real['deleted_objects'] == 3, real
    assert 'c' not in fake.containers


@pytest.mark.parametrize('module', [archive_object, archive_slo], ids=['archive_object', 'archive_slo'])
def test_deleting_an_slo_counts_the_segments_swift_deleted(run_module, fake, module):
    """One segment of the manifest is gone already: predicted 4, Swift deleted 3."""
    fake.add_container('c')
    fake.add_slo('c', 'big.bin', BIG, MIB)
    segments = sorted(fake.containers['c_segments']['objects'])
    assert len(segments) == 4
    del fake.containers['c_segments']['objects'][segments[1]]
    args = dict(container='c', name='big.bin', state='absent')
    predicted, failed = run_module(module.main, fake, _ansible_check_mode=True, **args)
    assert not failed and predicted['segments_deleted'] == 4, predicted
    real, failed = run_module(module.main, fake, **args)
    assert not failed and real['changed'] and real['segments_deleted'] == 3, real
    assert fake.containers['c_segments']['objects'] == {} and 'big.bin' not in fake.containers['c']['objects']
