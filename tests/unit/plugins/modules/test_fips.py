# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""On a FIPS host, md5 is refused unless it is asked for with usedforsecurity=False: the
modules' uploads, downloads and identity checks must work there."""

from __future__ import annotations

import hashlib

from ansible_collections.ncloud.archive.plugins.modules import archive_object, archive_slo, archive_sync
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift

MIB = 1024 * 1024
BULK = {'bulk_delete': {'max_deletes_per_request': 10000}}


def test_every_md5_of_the_modules_is_not_for_security(monkeypatch, run_module, tmp_path):
    real = hashlib.md5
    refused = []

    def fips_md5(*args, usedforsecurity=True, **kwargs):
        if usedforsecurity:
            refused.append(args)
            raise ValueError('[digital envelope routines] unsupported (FIPS mode)')
        return real(*args, usedforsecurity=False, **kwargs)

    monkeypatch.setattr(hashlib, 'md5', fips_md5)
    fake = FakeSwift()
    fake.add_container('c')
    big = tmp_path / 'big.bin'
    big.write_bytes(bytes(range(256)) * (3 * MIB // 256))
    tree = tmp_path / 'tree'
    tree.mkdir()
    (tree / 'a.txt').write_bytes(b'alpha')
    runs = [
        (archive_slo.main, dict(container='c', name='big.bin', src=str(big), segment_size='1MB')),
        (archive_slo.main, dict(container='c', name='big.bin', src=str(big), compare='checksum')),
        (archive_object.main, dict(container='c', name='big.bin', state='downloaded', dest=str(tmp_path / 'out.bin'))),
        (archive_object.main, dict(container='c', name='a.txt', src=str(tree / 'a.txt'))),
        (archive_object.main, dict(container='c', name='a.txt', src=str(tree / 'a.txt'))),
        (archive_sync.main, dict(container='c', path=str(tree), prefix='t/')),
        (archive_sync.main, dict(container='c', path=str(tmp_path / 'back'), prefix='t/', mode='download')),
        (archive_sync.main, dict(container='c', path=str(tmp_path / 'back'), prefix='t/', mode='download')),
    ]
    for main, args in runs:
        result, failed = run_module(main, fake, info=BULK, retries=0, **args)
        assert not failed, result
    assert refused == []
    assert (tmp_path / 'out.bin').read_bytes() == big.read_bytes()
    assert (tmp_path / 'back' / 'a.txt').read_bytes() == b'alpha'
