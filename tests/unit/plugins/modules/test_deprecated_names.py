# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One name per meaning: the old names still work, each with a deprecation warning that
names the new one and the release that removes it."""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest

from ansible_collections.ncloud.archive.plugins.modules import archive_info, archive_slo
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift

MIB = 1024 * 1024
DATA = bytes(range(256)) * (2 * MIB // 256 + 3)


@pytest.fixture
def fake():
    return FakeSwift()


@pytest.fixture(autouse=True)
def as_a_module(monkeypatch):
    """A module reports deprecations in its result; once a test of the same process has
    loaded controller code (the role tests' Templar), ansible-core sends them to the
    controller's display instead. Each test here runs as a module does."""
    from ansible.module_utils import _internal

    monkeypatch.setattr(_internal, 'is_controller', False)


def slo_args(tmp_path, **args):
    src = tmp_path / 'big.bin'
    if not src.exists():
        src.write_bytes(DATA)
    return dict(container='c', name='big.bin', src=str(src), segment_size='1MiB', **args)


def deprecations(result):
    """(message, version, collection) of each deprecation, in the shape ansible-core 2.19
    gives them (a DeprecationSummary with its event and deprecator) or the older flat one."""
    found = []
    for item in result.get('deprecations', []):
        msg = item['event']['msg'] if 'event' in item else item['msg']
        collection = item['deprecator']['resolved_name'] if 'deprecator' in item else item.get('collection_name')
        found.append((msg, item.get('version'), collection))
    return found


def test_no_deprecation_with_the_current_names(run_module, fake, tmp_path):
    fake.add_container('c')
    result, failed = run_module(archive_slo.main, fake, **slo_args(tmp_path, threads=2, compare='checksum'))
    assert not failed, result
    assert deprecations(result) == []


def test_segment_threads_still_sets_threads_and_warns(run_module, fake, tmp_path, monkeypatch):
    fake.add_container('c')
    seen = []
    real = archive_slo._slo.SloWriter.__init__  # pylint: disable=protected-access

    def spy(self, client, deadline, container, name, local, options):
        seen.append(options['threads'])
        real(self, client, deadline, container, name, local, options)

    monkeypatch.setattr(archive_slo._slo.SloWriter, '__init__', spy)  # pylint: disable=protected-access
    result, failed = run_module(archive_slo.main, fake, **slo_args(tmp_path, segment_threads=3))
    assert not failed, result
    assert seen == [3]
    assert [(v, c) for msg, v, c in deprecations(result) if 'segment_threads' in msg] == [('1.0.0', 'ncloud.archive')]


def test_checksum_true_means_compare_checksum_and_warns(run_module, fake, tmp_path):
    """An SLO whose recorded mtime matches but whose bytes differ: the quick check
    (size_and_mtime, the default) calls it identical; compare=checksum, and the old
    checksum=true, find the difference."""
    fake.add_container('c')
    result, failed = run_module(archive_slo.main, fake, **slo_args(tmp_path))
    assert not failed and result['changed'], result
    src = tmp_path / 'big.bin'
    stat = src.stat()
    src.write_bytes(DATA[:-1] + b'\x00')  # same size, same mtime below: only md5s tell
    os.utime(src, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    quick, failed = run_module(archive_slo.main, fake, _ansible_check_mode=True, **slo_args(tmp_path))
    assert not failed and not quick['changed'], quick
    for args in (dict(compare='checksum'), dict(checksum=True)):
        full, failed = run_module(archive_slo.main, fake, _ansible_check_mode=True, **slo_args(tmp_path, **args))
        assert not failed and full['changed'] and full['changed_reason'] == 'content differs', (args, full)
        expected = [('1.0.0', 'ncloud.archive')] if 'checksum' in args and args.get('checksum') else []
        assert [(v, c) for msg, v, c in deprecations(full) if 'checksum' in msg] == expected
    off, failed = run_module(archive_slo.main, fake, _ansible_check_mode=True, **slo_args(tmp_path, checksum=False))
    assert not failed and not off['changed'], off


def test_compare_and_checksum_together_are_refused(run_module, fake, tmp_path):
    fake.add_container('c')
    result, failed = run_module(archive_slo.main, fake, **slo_args(tmp_path, compare='checksum', checksum=True))
    assert failed and 'mutually exclusive' in result['msg'] and 'compare' in result['msg'], result
    assert fake.writes == []


def test_temp_url_key_still_signs_and_warns(run_module, fake):
    fake.add_container('c')
    fake.add_object('c', 'o', b'x')
    args = dict(container='c', name='o', temp_url_seconds=60)
    for option in ('temp_url_signing_key', 'temp_url_key'):
        result, failed = run_module(archive_info.main, fake, **dict(args, **{option: 'given'}))
        assert not failed, result
        url = result['temp_url']
        path = url.split('//', 1)[1].split('/', 1)[1].split('?')[0]
        body = 'GET\n%d\n/%s' % (result['temp_url_expires'], path)
        sig = [hmac.new(b'given', body.encode(), algo).hexdigest() for algo in (hashlib.sha1, hashlib.sha256)]
        assert any('temp_url_sig=%s' % s in url for s in sig), url
        warned = [(v, c) for msg, v, c in deprecations(result) if 'temp_url_key' in msg]
        assert warned == ([('1.0.0', 'ncloud.archive')] if option == 'temp_url_key' else [])
        assert 'given' not in repr({k: v for k, v in result.items() if k != 'invocation'})
