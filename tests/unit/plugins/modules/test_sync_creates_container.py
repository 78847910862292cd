# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""archive_sync mode=upload into a container that does not exist creates it, as `swift upload`
does, and check mode says so; mode=download from one still fails."""

from __future__ import annotations

from ansible_collections.ncloud.archive.plugins.modules import archive_sync
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.test_check_mode import pop_timing


def tree(root):
    (root / 'd').mkdir(parents=True)
    (root / 'd' / 'a.txt').write_bytes(b'alpha\n')
    (root / 'b.txt').write_bytes(b'beta\n')
    return root


def test_upload_creates_a_missing_container_and_check_mode_predicts_it(run_module, tmp_path):
    src = tree(tmp_path / 'src')
    fake = FakeSwift()
    args = dict(container='new', prefix='t/', path=str(src), retries=0)
    predicted, failed = run_module(archive_sync.main, fake, _ansible_check_mode=True, **args)
    assert not failed, predicted
    assert 'new' not in fake.containers, 'check mode created the container'
    assert predicted['changed'] and predicted['container_created'] is True
    assert predicted['changed_reason'].startswith('container created; ')
    done, failed = run_module(archive_sync.main, fake, **args)
    assert not failed, done
    assert sorted(fake.containers['new']['objects']) == ['t/', 't/b.txt', 't/d/', 't/d/a.txt']
    pop_timing(predicted, done)
    # The real run's diff and counts are the prediction.
    assert predicted == done
    again, failed = run_module(archive_sync.main, fake, **args)
    assert not failed and not again['changed'] and again['container_created'] is False


def test_download_from_a_missing_container_fails_and_writes_nothing(run_module, tmp_path):
    dest = tmp_path / 'restore'
    result, failed = run_module(
        archive_sync.main, FakeSwift(), container='gone', mode='download', path=str(dest), retries=0
    )
    assert failed
    assert result['msg'] == "container 'gone' does not exist: create it with ncloud.archive.archive_container"
    assert not dest.exists()
