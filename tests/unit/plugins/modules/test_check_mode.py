# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode predicts the real run: for every state of every module, the same starting
facts are run once in check mode and once for real, through the module entry point, against
an in-memory Swift. The two results must be equal, except for what only a real run can know
(the ETag of a new SLO and of its new segments, last-modified times) and what a run measures
rather than decides (``elapsed``, ``bytes_per_second``: check mode moves nothing).

A real run reports ``changed`` exactly when it wrote something, to Swift or to the local
files; a real download leaves dest (or archive_sync's path) holding the objects' bytes and a
real upload leaves Swift holding the files' bytes: a transfer that does nothing fails here."""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import time
from unittest import mock

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ncloud.archive.plugins.module_utils import _plan, _swift
from ansible_collections.ncloud.archive.plugins.module_utils._module import ArchiveModule
from ansible_collections.ncloud.archive.plugins.modules import (
    archive_container,
    archive_info,
    archive_object,
    archive_slo,
    archive_sync,
)
from ansible_collections.ncloud.archive.tests.unit.conftest import CREDENTIALS, FakeConnector
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift, md5

MIB = 1024 * 1024
BIG = bytes(range(256)) * (3 * MIB // 256) + b'tail'  # 3 MiB and 4 bytes: 4 segments of 1 MiB
OTHER = bytes(reversed(range(256))) * (2 * MIB // 256)
BULK = {'bulk_delete': {'max_deletes_per_request': 10000}, 'tempurl': {'methods': ['GET', 'HEAD', 'PUT']}}


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def mtime(path):
    return _swift.source_mtime(os.stat(path).st_mtime)


def slo_of(fake, tmp_path, data=BIG, **headers):
    """``big.bin`` on disk and stored as its SLO, the way archive_slo names its segments."""
    src = write(tmp_path, 'big.bin', data)
    prefix = _swift.segment_prefix('big.bin', mtime(src), len(data), MIB)
    fake.add_slo('c', 'big.bin', data, MIB, prefix=prefix, **dict({'x-object-meta-mtime': mtime(src)}, **headers))
    return src


# --- the cases: (id, module, expected reason, setup(fake, tmp_path) -> args) ---------------


def container_create(fake, tmp_path):
    return dict(name='c', metadata={'Owner': 'dba'}, read_acl='.r:*', quota_bytes='10MB')


def container_update(fake, tmp_path):
    fake.add_container('c', **{'x-container-meta-owner': 'x', 'x-container-meta-old': '1'})
    return dict(name='c', metadata={'owner': 'dba'}, purge_metadata=True, quota_count=5)


def container_same(fake, tmp_path):
    fake.add_container('c', **{'x-container-meta-owner': 'dba', 'x-container-read': '.r:*'})
    return dict(name='c', metadata={'owner': 'dba'}, read_acl='.r:*')


def container_delete(fake, tmp_path):
    fake.add_container('c')
    return dict(name='c', state='absent')


def container_delete_forced(fake, tmp_path):
    fake.add_container('c')
    for index in range(5):
        fake.add_object('c', 'o%d' % index, b'x' * index)
    return dict(name='c', state='absent', force=True)


def container_gone(fake, tmp_path):
    return dict(name='c', state='absent')


def object_new(fake, tmp_path):
    fake.add_container('c')
    return dict(container='c', name='note.txt', content='hello\n', metadata={'a': '1'})


def object_differs(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'f.bin', b'old data')
    return dict(container='c', name='f.bin', src=write(tmp_path, 'f.bin', b'new data!'))


def object_metadata(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'f.bin', b'same', **{'x-object-meta-a': '1', 'x-object-meta-b': '2'})
    return dict(
        container='c',
        name='f.bin',
        src=write(tmp_path, 'f.bin', b'same'),
        metadata={'a': '9'},
        purge_metadata=True,
        content_type='text/x-log',
    )


def object_expiry(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'f.bin', b'same')
    return dict(container='c', name='f.bin', src=write(tmp_path, 'f.bin', b'same'), delete_at=str(fake.clock + 86400))


def object_identical(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'f.bin', b'same', **{'x-object-meta-a': '1'})
    return dict(container='c', name='f.bin', src=write(tmp_path, 'f.bin', b'same'), metadata={'a': '1'})


def object_replaces_slo(fake, tmp_path):
    fake.add_container('c')
    fake.add_slo('c', 'big.bin', BIG, MIB)
    return dict(container='c', name='big.bin', src=write(tmp_path, 'small.bin', b'now small'))


def object_delete(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'f.bin', b'data')
    return dict(container='c', name='f.bin', state='absent')


def object_delete_slo(fake, tmp_path):
    fake.add_container('c')
    fake.add_slo('c', 'big.bin', BIG, MIB)
    return dict(container='c', name='big.bin', state='absent')


def object_gone(fake, tmp_path):
    fake.add_container('c')
    return dict(container='c', name='f.bin', state='absent')


def download_new(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'f.bin', b'data to fetch')
    return dict(container='c', name='f.bin', state='downloaded', dest=str(tmp_path / 'out.bin'))


def download_slo(fake, tmp_path):
    fake.add_container('c')
    fake.add_slo('c', 'big.bin', BIG, MIB)
    return dict(container='c', name='big.bin', state='downloaded', dest=str(tmp_path / 'out.bin'), threads=3)


def download_dlo(fake, tmp_path):
    fake.add_container('c')
    fake.add_dlo('c', 'parts.bin', BIG, MIB)
    return dict(container='c', name='parts.bin', state='downloaded', dest=str(tmp_path / 'out.bin'), threads=3)


def object_directory(fake, tmp_path):
    fake.add_container('c')
    return dict(container='c', name='logs/2026/', directory=True)


def object_delete_dlo(fake, tmp_path):
    fake.add_container('c')
    fake.add_dlo('c', 'parts.bin', BIG, MIB)
    return dict(container='c', name='parts.bin', state='absent')


def download_differs(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'f.bin', b'data to fetch')
    return dict(container='c', name='f.bin', state='downloaded', dest=write(tmp_path, 'out.bin', b'stale local copy'))


def download_identical(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'f.bin', b'data to fetch')
    return dict(container='c', name='f.bin', state='downloaded', dest=write(tmp_path, 'out.bin', b'data to fetch'))


def download_stale_temp(fake, tmp_path):
    """dest is whole, but a killed run left its temp file beside it (nobody holds its lock)."""
    args = download_identical(fake, tmp_path)
    write(tmp_path, '.out.bin.0badc0de.part', b'data t')
    write(tmp_path, '.out.bin.part', b'not a temp name: kept')
    write(tmp_path, '.other.bin.0badc0de.part', b'the temp of another dest: kept')
    return args


def slo_new(fake, tmp_path):
    fake.add_container('c')
    return dict(
        container='c',
        name='big.bin',
        src=write(tmp_path, 'big.bin', BIG),
        segment_size='1MB',
        threads=3,
        metadata={'k': 'v'},
    )


def slo_identical(fake, tmp_path):
    fake.add_container('c')
    return dict(container='c', name='big.bin', src=slo_of(fake, tmp_path), segment_size='1MB')


def slo_converge(fake, tmp_path):
    fake.add_container('c')
    src = slo_of(fake, tmp_path, **{'x-object-meta-old': 'x'})
    return dict(
        container='c',
        name='big.bin',
        src=src,
        metadata={'new': 'y'},
        purge_metadata=True,
        delete_at=str(fake.clock + 7200),
        threads=2,
    )


def slo_replaces_plain(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'big.bin', b'a plain object')
    return dict(container='c', name='big.bin', src=write(tmp_path, 'big.bin', BIG), segment_size='1MB')


def slo_new_version(fake, tmp_path):
    fake.add_container('c')
    fake.add_slo('c', 'big.bin', OTHER, MIB, age=3 * 86400)
    fake.add_object('c_segments', 'big.bin/slo/2.000000/9/1048576/00000000', b'left long ago', age=2 * 86400)
    fake.add_object('c_segments', 'big.bin/slo/3.000000/9/1048576/00000000', b'a writer now')
    return dict(container='c', name='big.bin', src=write(tmp_path, 'big.bin', BIG), segment_size='1MB', threads=2)


def slo_resume(fake, tmp_path):
    fake.add_container('c')
    src = write(tmp_path, 'big.bin', BIG)
    prefix = _swift.segment_prefix('big.bin', mtime(src), len(BIG), MIB)
    fake.add_object('c_segments', prefix + '00000000', BIG[:MIB])
    fake.add_object('c_segments', prefix + '00000002', b'damaged')
    return dict(container='c', name='big.bin', src=src, segment_size='1MB')


# The same starting facts and arguments as archive_object's.
slo_delete = object_delete_slo
slo_gone = object_gone


def info_account(fake, tmp_path):
    fake.add_container('a')
    fake.add_container('b')
    return {}


def info_container(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'x/1', b'1')
    fake.add_object('c', 'y', b'2')
    return dict(container='c', delimiter='/')


def info_slo(fake, tmp_path):
    fake.add_container('c')
    fake.add_slo('c', 'big.bin', BIG, MIB)
    return dict(container='c', name='big.bin')


def info_object_temp_url(fake, tmp_path):
    fake.add_container('c', **{'x-container-meta-temp-url-key': 'k'})
    fake.add_object('c', 'f.bin', b'data')
    return dict(container='c', name='f.bin', temp_url_seconds=60)


def info_missing(fake, tmp_path):
    return dict(container='nothing-here')


def info_dlo(fake, tmp_path):
    fake.add_container('c')
    fake.add_dlo('c', 'parts.bin', BIG, MIB)
    return dict(container='c', name='parts.bin')


def info_versions(fake, tmp_path):
    """The nightly run of sync_upload_history done: b.txt has one version kept."""
    sync_once(fake, **sync_upload_history(fake, tmp_path))
    return dict(container='c', name='t/docs/b.txt', versions=True)


def info_versions_prefix(fake, tmp_path):
    sync_once(fake, **sync_upload_history(fake, tmp_path))
    return dict(container='c', prefix='t/', versions=True)


# archive_sync: a tree under ``tmp_path/src`` (two small files, a nested one, an empty
# directory and BIG, above the threshold: an SLO) going up, or coming back into ``tmp_path/dest``.
SYNC = dict(container='c', prefix='t/', slo_threshold='2MiB', segment_size='1MiB', threads=3, retries=0)


def tree(tmp_path):
    src = tmp_path / 'src'
    (src / 'docs' / 'deep').mkdir(parents=True)
    (src / 'empty').mkdir()
    (src / 'a.txt').write_bytes(b'alpha\n')
    (src / 'docs' / 'b.txt').write_bytes(b'beta\n')
    (src / 'docs' / 'deep' / 'c.txt').write_bytes(b'gamma\n')
    (src / 'big.bin').write_bytes(BIG)
    return src


def sync_once(fake, **args):
    """Run archive_sync for real, outside the test's own runs: what an earlier run left is
    the starting state of a case. The fake's write log is emptied after it."""
    params = dict(CREDENTIALS, **SYNC)
    params.update(args)
    out = io.StringIO()
    with mock.patch.object(ArchiveModule, 'connector', lambda self: FakeConnector(fake, BULK)):
        with patch_module_args(params), contextlib.redirect_stdout(out):
            with pytest.raises(SystemExit) as exit_info:
                archive_sync.main()
    assert exit_info.value.code == 0, out.getvalue()
    fake.writes = []


def sync_upload_new(fake, tmp_path):
    fake.add_container('c')
    return dict(SYNC, path=str(tree(tmp_path)))


def sync_upload_creates_container(fake, tmp_path):
    return dict(SYNC, path=str(tree(tmp_path)))


def sync_upload_replaces_large(fake, tmp_path):
    """a.txt was stored as an SLO, docs/b.txt as a DLO: the small files replace them, and
    their segments go with them."""
    fake.add_container('c')
    fake.add_slo('c', 't/a.txt', BIG, MIB)
    fake.add_dlo('c', 't/docs/b.txt', BIG, MIB)
    return dict(SYNC, path=str(tree(tmp_path)))


def sync_upload_expiring(fake, tmp_path):
    fake.add_container('c')
    return dict(SYNC, path=str(tree(tmp_path)), delete_at='2030-01-01T00:00:00Z')


def sync_upload_identical(fake, tmp_path):
    args = sync_upload_new(fake, tmp_path)
    sync_once(fake, path=args['path'])
    return args


def sync_upload_changed(fake, tmp_path):
    args = sync_upload_identical(fake, tmp_path)
    (tmp_path / 'src' / 'docs' / 'b.txt').write_bytes(b'beta, edited\n')
    return args


def sync_upload_delete_extra(fake, tmp_path):
    args = sync_upload_identical(fake, tmp_path)
    (tmp_path / 'src' / 'a.txt').unlink()
    (tmp_path / 'src' / 'big.bin').unlink()
    fake.add_object('c', 'other/kept.txt', b'outside the prefix')
    return dict(args, delete_extra=True)


def age_all(fake, seconds):
    """Make every stored object ``seconds`` older (written days ago, say)."""
    for stored in fake.containers.values():
        for obj in stored['objects'].values():
            obj['modified'] -= seconds


# History keeps 7 daily states; the objects were written two days ago, so every version
# replaced now covers last midnight and is kept until 7 days after it.
HISTORY = dict(keep=dict(days=7))


def sync_upload_history(fake, tmp_path):
    """A nightly run with history: b.txt edited (a small file), big.bin replaced (an SLO),
    a.txt deleted; each version is copied into c_history first."""
    args = sync_upload_identical(fake, tmp_path)
    age_all(fake, 2 * 86400)
    (tmp_path / 'src' / 'docs' / 'b.txt').write_bytes(b'beta, edited\n')
    (tmp_path / 'src' / 'big.bin').write_bytes(BIG[::-1])
    (tmp_path / 'src' / 'a.txt').unlink()
    return dict(args, delete_extra=True, history=HISTORY)


def sync_download_as_of(fake, tmp_path):
    """a.txt edited and uploaded with history a moment ago: as of a day ago, its old
    version (from history) and the other files (live) are restored."""
    sync_upload_identical(fake, tmp_path)
    age_all(fake, 3 * 86400)
    (tmp_path / 'src' / 'a.txt').write_bytes(b'alpha, edited\n')
    sync_once(fake, path=str(tmp_path / 'src'), history=HISTORY)
    return dict(SYNC, mode='download', path=str(tmp_path / 'dest'), as_of=str(fake.clock - 86400))


def sync_verify(fake, tmp_path):
    """The restore drill over an uploaded tree: everything reads back intact."""
    sync_upload_identical(fake, tmp_path)
    return dict(SYNC, mode='verify')


def sync_verify_as_of(fake, tmp_path):
    return dict(sync_download_as_of(fake, tmp_path), mode='verify', path=None)


def sync_download_fresh(fake, tmp_path):
    sync_upload_identical(fake, tmp_path)
    return dict(SYNC, mode='download', path=str(tmp_path / 'dest'))


def sync_download_identical(fake, tmp_path):
    args = sync_download_fresh(fake, tmp_path)
    sync_once(fake, mode='download', path=args['path'])
    return args


def sync_download_delete_extra(fake, tmp_path):
    args = sync_download_identical(fake, tmp_path)
    (tmp_path / 'dest' / 'docs' / 'b.txt').write_bytes(b'changed locally')
    (tmp_path / 'dest' / 'extra.txt').write_bytes(b'no object')
    fake.add_object('c', 't/new.txt', b'new remote file')
    return dict(args, delete_extra=True)


CASES = [
    ('container-create', archive_container, 'container absent', container_create),
    ('container-update', archive_container, 'metadata differs and quota differs', container_update),
    ('container-same', archive_container, 'container present with the same settings', container_same),
    ('container-delete', archive_container, 'container present', container_delete),
    ('container-delete-forced', archive_container, 'container present', container_delete_forced),
    ('container-gone', archive_container, 'container already absent', container_gone),
    ('object-new', archive_object, 'absent', object_new),
    ('object-differs', archive_object, 'content differs', object_differs),
    ('object-metadata', archive_object, 'metadata differs and content type differs', object_metadata),
    ('object-expiry', archive_object, 'expiry not set', object_expiry),
    ('object-identical', archive_object, 'identical', object_identical),
    ('object-replaces-slo', archive_object, 'content differs', object_replaces_slo),
    ('object-delete', archive_object, 'present', object_delete),
    ('object-delete-slo', archive_object, 'present', object_delete_slo),
    ('object-gone', archive_object, 'already absent', object_gone),
    ('object-directory', archive_object, 'absent', object_directory),
    ('object-delete-dlo', archive_object, 'present', object_delete_dlo),
    ('download-new', archive_object, 'dest absent', download_new),
    ('download-slo', archive_object, 'dest absent', download_slo),
    ('download-dlo', archive_object, 'dest absent', download_dlo),
    ('download-differs', archive_object, 'content differs', download_differs),
    ('download-identical', archive_object, 'identical', download_identical),
    (
        'download-stale-temp',
        archive_object,
        '1 temporary file of an interrupted download removed',
        download_stale_temp,
    ),
    ('slo-new', archive_slo, 'absent', slo_new),
    ('slo-identical', archive_slo, 'identical', slo_identical),
    ('slo-converge', archive_slo, 'metadata differs and expiry not set and segment expiry differs', slo_converge),
    ('slo-replaces-plain', archive_slo, 'stored as a plain object', slo_replaces_plain),
    ('slo-new-version', archive_slo, 'content differs', slo_new_version),
    ('slo-resume', archive_slo, 'absent', slo_resume),
    ('slo-delete', archive_slo, 'present', slo_delete),
    ('slo-gone', archive_slo, 'already absent', slo_gone),
    ('info-account', archive_info, None, info_account),
    ('info-container', archive_info, None, info_container),
    ('info-slo', archive_info, None, info_slo),
    ('info-dlo', archive_info, None, info_dlo),
    ('info-versions', archive_info, None, info_versions),
    ('info-versions-prefix', archive_info, None, info_versions_prefix),
    ('info-object-temp-url', archive_info, None, info_object_temp_url),
    ('info-missing', archive_info, None, info_missing),
    ('sync-upload-new', archive_sync, '4 uploaded, 4 markers created', sync_upload_new),
    ('sync-upload-creates-container', archive_sync, None, sync_upload_creates_container),
    ('sync-upload-replaces-large', archive_sync, '4 uploaded, 4 markers created', sync_upload_replaces_large),
    ('sync-upload-expiring', archive_sync, '4 uploaded, 4 markers created', sync_upload_expiring),
    ('sync-upload-identical', archive_sync, 'all 8 identical', sync_upload_identical),
    ('sync-upload-changed', archive_sync, '1 uploaded', sync_upload_changed),
    ('sync-upload-delete-extra', archive_sync, '2 deleted', sync_upload_delete_extra),
    (
        'sync-upload-history',
        archive_sync,
        '2 uploaded, 1 deleted, 3 versions kept in history',
        sync_upload_history,
    ),
    ('sync-download-as-of', archive_sync, '4 downloaded, 3 directories created', sync_download_as_of),
    ('sync-verify', archive_sync, 'all 4 verified', sync_verify),
    ('sync-verify-as-of', archive_sync, 'all 4 verified', sync_verify_as_of),
    ('sync-download-fresh', archive_sync, '4 downloaded, 3 directories created', sync_download_fresh),
    ('sync-download-identical', archive_sync, 'all 7 identical', sync_download_identical),
    ('sync-download-delete-extra', archive_sync, '2 downloaded, 1 deleted', sync_download_delete_extra),
]


# What Ansible adds about a file that exists only after the real run (exit_json's path info).
FILE_FACTS = ('uid', 'gid', 'owner', 'group', 'mode', 'state', 'size', 'secontext')


def align(check, real):
    """``real`` with what only a real run can know taken from ``check``: last-modified
    times, the ETags that check mode leaves empty (a new SLO's, its new segments'), and what
    Ansible reports of dest as it is after the run (its size, owner, mode)."""
    if isinstance(check, dict) and isinstance(real, dict):
        aligned = {}
        for key, value in real.items():
            if key in FILE_FACTS and 'dest' in real:
                if key in check:
                    aligned[key] = check[key]
                continue
            if key in check and (key == 'last_modified' or (key == 'etag' and check[key] == '')):
                aligned[key] = check[key]
            elif key in check:
                aligned[key] = align(check[key], value)
            else:
                aligned[key] = value
        return aligned
    if isinstance(check, list) and isinstance(real, list) and len(check) == len(real):
        return [align(c, r) for c, r in zip(check, real)]
    return real


# What a run measures rather than decides: how long it took and how fast it moved data. Check
# mode moves nothing, and no two runs take the same time: set apart before results are compared.
TIMING = ('elapsed', 'bytes_per_second')
TRANSFER_MODULES = (archive_object, archive_slo, archive_sync)


def pop_timing(checked, real, transfer=True):
    """Take the timing keys out of a check-mode and a real result; both have them (with their
    types) when the module moves data, none otherwise; check mode moved nothing."""
    taken = [dict((key, result.pop(key)) for key in TIMING if key in result) for result in (checked, real)]
    # archive_info's newest object: its age is read from the clock of each run, which may
    # tick over a second between the two; the rest of it must agree.
    ages = [result['newest'].pop('age_seconds') for result in (checked, real) if result.get('newest')]
    assert all(isinstance(age, int) and age >= 0 for age in ages) and ages == sorted(ages)
    if not transfer:
        assert taken == [{}, {}]
        return
    for timing in taken:
        assert sorted(timing) == sorted(TIMING)
        assert isinstance(timing['elapsed'], float) and timing['elapsed'] >= 0
        assert isinstance(timing['bytes_per_second'], int) and timing['bytes_per_second'] >= 0
    assert taken[0]['bytes_per_second'] == 0


def local_files(tmp_path):
    return dict((p.name, p.read_bytes()) for p in sorted(tmp_path.iterdir()))


def local_tree(tmp_path):
    """{relative path: bytes, 'dir' or ('link', target)} of everything under tmp_path."""
    out = {}
    for path in sorted(tmp_path.rglob('*')):
        rel = path.relative_to(tmp_path).as_posix()
        if path.is_symlink():
            out[rel] = ('link', os.readlink(str(path)))
        elif path.is_dir():
            out[rel] = 'dir'
        else:
            out[rel] = path.read_bytes()
    return out


def assert_dest_holds_the_objects(swift, args):
    """After a real download, dest (archive_object) or path (archive_sync) holds the bytes
    of the objects, and (delete_extra) nothing else."""
    objects = swift.containers[args['container']]['objects']
    if 'dest' in args:
        with open(args['dest'], 'rb') as dest:
            assert dest.read() == swift._data(objects[args['name']])  # pylint: disable=protected-access
        return
    if args.get('as_of'):
        return  # a past state: test_as_of_restores_each_path_as_it_was checks its bytes
    prefix = args['prefix']
    expected = dict(
        (name[len(prefix) :], swift._data(obj))  # pylint: disable=protected-access
        for name, obj in objects.items()
        if name.startswith(prefix) and not name.endswith('/')
    )
    restored = local_tree(pathlib.Path(args['path']))
    files = dict((rel, data) for rel, data in restored.items() if data != 'dir')
    if args.get('delete_extra'):
        assert files == expected
    else:
        assert dict((rel, files.get(rel)) for rel in expected) == expected


def assert_swift_holds_the_files(swift, args):
    """After a real upload, the object (archive_object, archive_slo) or every object under
    the prefix (archive_sync) holds the bytes of its file; with delete_extra, nothing else is
    under the prefix but directory markers."""
    objects = swift.containers[args['container']]['objects']
    data = swift._data  # pylint: disable=protected-access
    if 'path' not in args:
        if 'src' in args:
            with open(args['src'], 'rb') as src:
                expected = src.read()
        elif args.get('directory'):
            expected = b''
            assert objects[args['name']]['content_type'] == 'application/directory'
        else:
            expected = args['content'].encode()
        assert data(objects[args['name']]) == expected
        return
    root = pathlib.Path(args['path'])
    files = dict(
        (args['prefix'] + rel, content) for rel, content in local_tree(root).items() if isinstance(content, bytes)
    )
    stored = dict((name, data(obj)) for name, obj in objects.items() if name in files)
    assert stored == files
    if args.get('delete_extra'):
        extra = [n for n in objects if n.startswith(args['prefix']) and n not in files and not n.endswith('/')]
        assert extra == []


@pytest.mark.parametrize('case_id, module, reason, setup', CASES, ids=[c[0] for c in CASES])
def test_check_mode_predicts_the_real_run(case_id, module, reason, setup, run_module, tmp_path):
    fake = FakeSwift()
    args = setup(fake, tmp_path)
    real_swift = fake.copy()
    stored, files = fake.state(), local_tree(tmp_path)

    checked, failed = run_module(module.main, fake, info=BULK, _ansible_check_mode=True, _ansible_diff=True, **args)
    assert not failed, checked
    assert fake.writes == [] and fake.state() == stored, 'check mode changed Swift'
    assert local_tree(tmp_path) == files, 'check mode changed local files'

    real, failed = run_module(module.main, real_swift, info=BULK, _ansible_diff=True, **args)
    assert not failed, real
    pop_timing(checked, real, module in TRANSFER_MODULES)
    assert checked == align(checked, real)
    # Changed exactly when something was written: to Swift, or to the local files.
    assert real['changed'] == (bool(real_swift.writes) or local_tree(tmp_path) != files)
    if args.get('mode') == 'verify':
        assert real['summary']['verified'] == len(real['verified']) and real['damaged'] == []
    elif args.get('state') == 'downloaded' or args.get('mode') == 'download':
        assert_dest_holds_the_objects(real_swift, args)
    elif module in TRANSFER_MODULES and args.get('state', 'present') == 'present':
        assert_swift_holds_the_files(real_swift, args)
    if reason is not None:
        assert real['changed_reason'] == reason


def test_a_symlink_under_dests_temp_name_is_no_temp_file(run_module, tmp_path):
    """A symlink named like dest's temp file is not one (downloads create regular files):
    the download neither fails on it nor removes or follows it."""
    fake = FakeSwift()
    args = download_identical(fake, tmp_path)
    outside = tmp_path / 'outside.txt'
    outside.write_bytes(b'not yours')
    link = tmp_path / '.out.bin.0badc0de.part'
    link.symlink_to(outside)
    result, failed = run_module(archive_object.main, fake, info=BULK, **args)
    assert not failed, result
    assert result['temps_removed'] == [] and not result['changed']
    assert link.is_symlink() and os.readlink(str(link)) == str(outside)
    assert outside.read_bytes() == b'not yours'


def test_the_real_runs_leave_what_they_report(run_module, tmp_path):
    """A sample of the cases above, checked on the stored state rather than the result."""
    fake = FakeSwift()
    result, failed = run_module(archive_object.main, fake, info=BULK, **download_stale_temp(fake, tmp_path))
    assert not failed and result['temps_removed'] == ['.out.bin.0badc0de.part']
    assert local_files(tmp_path) == {
        '.out.bin.part': b'not a temp name: kept',
        '.other.bin.0badc0de.part': b'the temp of another dest: kept',
        'out.bin': b'data to fetch',
    }

    fake = FakeSwift()
    run_module(archive_object.main, fake, info=BULK, **object_replaces_slo(fake, tmp_path))
    assert sorted(fake.containers['c_segments']['objects']) == []
    assert fake.containers['c']['objects']['big.bin']['data'] == b'now small'

    fake = FakeSwift()
    result, failed = run_module(archive_slo.main, fake, info=BULK, **slo_new_version(fake, tmp_path))
    assert not failed and result['segments_uploaded'] == 4 and result['segments_deleted'] == 3
    # The old version's two segments and the one left two days ago went; the young one of a
    # writer that may still be running stayed, and because it is there, the new version was
    # marked written (that writer, replacing it, deletes it then).
    new_version = result['segments'][0]['name'].split('/', 2)[2].rsplit('/', 1)[0]
    assert sorted(fake.containers['c_segments']['objects']) == sorted(
        ['big.bin/slo/3.000000/9/1048576/00000000', new_version + '/written']
        + [s['name'].split('/', 2)[2] for s in result['segments']]
    )
    assert fake._data(fake.containers['c']['objects']['big.bin']) == BIG

    fake = FakeSwift()
    args = slo_resume(fake, tmp_path)
    result, failed = run_module(archive_slo.main, fake, info=BULK, **args)
    assert not failed and (result['segments_reused'], result['segments_uploaded']) == (1, 3)
    assert fake._data(fake.containers['c']['objects']['big.bin']) == BIG
    assert md5(open(args['src'], 'rb').read()) == md5(BIG)


def test_one_segment_list_in_every_result(run_module, tmp_path):
    """archive_slo and archive_info describe an SLO's segments with the same keys and values
    (the md5 as ``etag``), so a playbook can compare them."""
    fake = FakeSwift()
    args = slo_identical(fake, tmp_path)
    uploaded, failed = run_module(archive_slo.main, fake, info=BULK, **args)
    assert not failed, uploaded
    info, failed = run_module(archive_info.main, fake, info=BULK, container='c', name='big.bin')
    assert not failed, info
    assert [sorted(s) for s in info['segments']] == [['bytes', 'etag', 'name']] * 4
    assert info['segments'] == uploaded['segments']
    assert [s['etag'] for s in info['segments']] == [md5(BIG[i : i + MIB]) for i in range(0, len(BIG), MIB)]


def test_a_small_file_replacing_a_large_object_takes_its_segments(run_module, tmp_path):
    fake = FakeSwift()
    args = sync_upload_replaces_large(fake, tmp_path)
    segments = sorted(fake.containers['c_segments']['objects'])
    assert len(segments) == 8  # four of the SLO, four of the DLO
    checked, failed = run_module(archive_sync.main, fake, info=BULK, _ansible_check_mode=True, **args)
    assert not failed and checked['segments_deleted'] == 8, checked
    real, failed = run_module(archive_sync.main, fake, info=BULK, **args)
    assert not failed and real['segments_deleted'] == 8, real
    assert sorted(fake.containers['c_segments']['objects']) == [
        n for n in sorted(fake.containers['c_segments']['objects']) if n.startswith('t/big.bin/')
    ]
    assert not any(n in fake.containers['c_segments']['objects'] for n in segments)
    assert fake._data(fake.containers['c']['objects']['t/a.txt']) == b'alpha\n'  # pylint: disable=protected-access


@pytest.mark.parametrize('retention', [dict(delete_at='2030-01-01T00:00:00Z'), dict(delete_after=3600)])
def test_every_object_a_tree_upload_writes_expires_segments_too(run_module, tmp_path, retention):
    """Files, markers, the SLO's manifest and each of its segments get one X-Delete-At;
    a re-run finds them identical and changes nothing (the expiry is set once)."""
    fake = FakeSwift()
    args = dict(sync_upload_new(fake, tmp_path), **retention)
    before = int(time.time())
    real, failed = run_module(archive_sync.main, fake, info=BULK, **args)
    after = int(time.time())
    assert not failed, real
    if 'delete_at' in retention:
        assert real['delete_at'] == 1893456000
    else:
        assert before + 3600 <= real['delete_at'] <= after + 3600
    written = dict(fake.containers['c']['objects'], **fake.containers['c_segments']['objects'])
    assert len(written) == 4 + 4 + 4  # files, markers, BIG's segments
    assert dict((n, o['headers'].get('x-delete-at')) for n, o in written.items()) == dict(
        (n, str(real['delete_at'])) for n in written
    )
    again, failed = run_module(archive_sync.main, fake, info=BULK, **args)
    assert not failed and not again['changed'], again


def test_retention_is_refused_for_a_download(run_module, tmp_path):
    fake = FakeSwift()
    fake.add_container('c')
    result, failed = run_module(
        archive_sync.main, fake, mode='download', container='c', path=str(tmp_path / 'd'), delete_after=60
    )
    assert failed and result['msg'] == ('delete_after and delete_at apply to mode=upload: leave them out of a download')
    assert fake.writes == [] and not (tmp_path / 'd').exists()


def test_history_keeps_every_replaced_version_and_its_segments(run_module, tmp_path):
    """The nightly run of sync_upload_history: each replaced or deleted version is in
    c_history, byte for byte; the replaced SLO's copy is an SLO over its old segments, which
    were not deleted but expire with it."""
    fake = FakeSwift()
    args = sync_upload_history(fake, tmp_path)
    old = dict((name, fake._data(obj)) for name, obj in fake.containers['c']['objects'].items())
    old_segments = sorted(fake.containers['c_segments']['objects'])
    result, failed = run_module(archive_sync.main, fake, info=BULK, **args)
    assert not failed, result
    kept = fake.containers['c_history']['objects']
    assert sorted(kept) == sorted(v['version'] for v in result['history'])
    for version in result['history']:
        copy_ = kept[version['version']]
        assert fake._data(copy_) == old[version['name']]
        assert copy_['headers']['x-delete-at'] == str(version['delete_at'])
    assert kept[[v['version'] for v in result['history'] if v['name'] == 't/big.bin'][0]]['manifest']
    segments = fake.containers['c_segments']['objects']
    assert set(old_segments) <= set(segments)
    assert all(segments[s]['headers'].get('x-delete-at') for s in old_segments)
    assert fake._data(fake.containers['c']['objects']['t/big.bin']) == BIG[::-1]


def test_as_of_restores_each_path_as_it_was(run_module, tmp_path):
    fake = FakeSwift()
    args = sync_download_as_of(fake, tmp_path)
    result, failed = run_module(archive_sync.main, fake, info=BULK, **args)
    assert not failed, result
    assert result['from_history'] == ['t/a.txt']
    restored = local_tree(tmp_path / 'dest')
    assert restored['a.txt'] == b'alpha\n'  # the version before the edit, from history
    assert restored['docs/deep/c.txt'] == b'gamma\n' and restored['big.bin'] == BIG
    assert restored['empty'] == 'dir'
    # Today: the edit.
    result, failed = run_module(archive_sync.main, fake, info=BULK, **dict(args, as_of=str(fake.clock + 5)))
    assert not failed and result['downloaded'] == ['t/a.txt'] and result['from_history'] == []
    assert (tmp_path / 'dest' / 'a.txt').read_bytes() == b'alpha, edited\n'


def test_a_writer_without_history_leaves_a_kept_versions_segments(run_module, tmp_path):
    """slo_new_version, with a version of big.bin kept in c_history (archive_sync's history)
    over segments left long ago: archive_slo's stale sweep would delete them; they stay, and
    the kept version still reads whole. The replaced live version's segments still go."""
    fake = FakeSwift()
    args = slo_new_version(fake, tmp_path)
    kept_prefix = 'big.bin/slo/4.000000/%d/1048576/' % len(OTHER[::-1])
    fake.add_container('c_history')
    fake.add_slo(
        'c_history',
        'big.bin/20261201T000000.000000Z',
        OTHER[::-1],
        MIB,
        segment_container='c_segments',
        prefix=kept_prefix,
        age=3 * 86400,
    )
    replaced = [s['name'] for s in fake.containers['c']['objects']['big.bin']['manifest']]
    result, failed = run_module(archive_slo.main, fake, info=BULK, **args)
    assert not failed, result
    segments = fake.containers['c_segments']['objects']
    assert sorted(n for n in segments if n.startswith(kept_prefix)) == [
        kept_prefix + '00000000',
        kept_prefix + '00000001',
    ]
    assert fake._data(fake.containers['c_history']['objects']['big.bin/20261201T000000.000000Z']) == OTHER[::-1]
    assert not any(path.split('/', 2)[2] in segments for path in replaced)
    assert 'big.bin/slo/2.000000/9/1048576/00000000' not in segments  # stale, and kept by nothing


def test_info_lists_the_kept_versions_with_their_times_and_expiries(run_module, tmp_path):
    fake = FakeSwift()
    args = info_versions_prefix(fake, tmp_path)
    result, failed = run_module(archive_info.main, fake, info=BULK, **args)
    assert not failed, result
    assert [v['name'] for v in result['versions']] == ['t/a.txt', 't/big.bin', 't/docs/b.txt']
    b = result['versions'][2]
    assert b['bytes'] == len(b'beta\n') and b['version'].startswith('t/docs/b.txt/')
    assert b['created'] < b['replaced'] and b['created'].endswith('Z')
    stored = fake.containers['c_history']['objects'][b['version']]['headers']['x-delete-at']
    assert b['delete_at'] == int(stored)
    one, failed = run_module(archive_info.main, fake, info=BULK, container='c', name='t/docs/b.txt', versions=True)
    assert not failed and one['versions'] == [b] and one['exists']
    none, failed = run_module(archive_info.main, fake, info=BULK, container='c', name='t/new', versions=True)
    assert not failed and none == dict(none, exists=False, versions=[])


def test_the_drill_names_every_object_that_would_not_restore(run_module, tmp_path):
    """Damage of four kinds after an upload: a plain object replaced by a raw PUT of other
    bytes of the same size (no recorded mtime), bytes damaged in storage under the same
    ETag, an SLO segment deleted, a segment that expires before its manifest."""
    fake = FakeSwift()
    args = sync_verify(fake, tmp_path)
    objects = fake.containers['c']['objects']
    fake.add_object('c', 't/a.txt', b'ALPHA\n')  # a raw PUT: no X-Object-Meta-Mtime
    objects['t/docs/b.txt']['data'] = b'bet\x00\n'  # rot: the stored ETag stays
    manifest = objects['t/big.bin']['manifest']
    segments = fake.containers['c_segments']['objects']
    del segments[manifest[1]['name'].split('/', 2)[2]]
    segments[manifest[2]['name'].split('/', 2)[2]]['headers']['x-delete-at'] = str(fake.clock + 60)
    before = fake.state()
    result, failed = run_module(archive_sync.main, fake, info=BULK, **args)
    assert failed and fake.state() == before and fake.writes == []
    damaged = dict((d['name'], d['problems']) for d in result['damaged'])
    assert sorted(damaged) == ['t/a.txt', 't/big.bin', 't/docs/b.txt']
    assert damaged['t/a.txt'] == [
        'it has no recorded mtime (X-Object-Meta-Mtime), which archive_sync, the swift CLI and rclone '
        'write on every file: another client wrote it over the backup'
    ]
    assert 'damaged in storage' in damaged['t/docs/b.txt'][0]
    assert "segment '%s' is missing" % manifest[1]['name'] in damaged['t/big.bin']
    assert (
        "segment '%s' expires at %d, before its manifest (which never expires)"
        % (
            manifest[2]['name'],
            fake.clock + 60,
        )
        in damaged['t/big.bin']
    )
    assert result['verified'] == ['t/docs/deep/c.txt']
    assert result['summary']['damaged'] == 3 and result['summary']['verified'] == 1
    assert result['msg'].startswith('3 of the 4 objects verified would not restore: t/a.txt: it has no recorded')


@pytest.mark.parametrize('fraction', [0.1, 0.25, 0.5])
def test_a_sample_reads_its_fraction_of_the_bytes_and_all_of_them_in_turn(fraction):
    sizes = dict(('d/%04d.log' % i, 1000 + (i * 37) % 500) for i in range(400))
    total = sum(sizes.values())
    seen = set()
    days = int(round(1 / fraction))
    for day in range(20000, 20000 + days):
        chosen = _plan.verify_sample(sizes, fraction, day)
        read = sum(sizes[n] for n in chosen)
        assert abs(read / total - fraction) <= 0.05
        seen |= chosen
    assert seen == set(sizes)
    assert _plan.verify_sample(sizes, fraction, 20000) != _plan.verify_sample(sizes, fraction, 20001)
    assert _plan.verify_sample(sizes, 1.0, 5) == set(sizes)


def test_history_keeps_a_dlo_by_its_manifest_and_its_segments_expire_with_it(run_module, tmp_path):
    """docs/b.txt was stored as a DLO (swift upload --use-dlo): a small file replaces it with
    history on. The copy is the DLO's zero-byte manifest over the same segment prefix, and
    reads the old bytes; the segments are not deleted but get the copy's expiry; as_of a day
    ago restores the old bytes."""
    fake = FakeSwift()
    fake.add_container('c')
    fake.add_dlo('c', 't/docs/b.txt', BIG, MIB)
    age_all(fake, 2 * 86400)
    args = dict(SYNC, path=str(tree(tmp_path)), history=HISTORY)
    result, failed = run_module(archive_sync.main, fake, info=BULK, **args)
    assert not failed, result
    (kept,) = [v for v in result['history'] if v['name'] == 't/docs/b.txt']
    copy_ = fake.containers['c_history']['objects'][kept['version']]
    assert copy_['data'] == b'' and copy_['headers']['x-object-manifest'].startswith('c_segments/')
    assert fake._data(copy_) == BIG
    assert result['segments_deleted'] == 0
    segments = [s for n, s in fake.containers['c_segments']['objects'].items() if n.startswith('t/docs/b.txt/')]
    assert len(segments) == 4 and all(s['headers']['x-delete-at'] == str(kept['delete_at']) for s in segments)
    restored, failed = run_module(
        archive_sync.main,
        fake,
        info=BULK,
        **dict(SYNC, mode='download', path=str(tmp_path / 'dest'), as_of=str(fake.clock - 86400)),
    )
    assert not failed and 't/docs/b.txt' in restored['from_history']
    assert (tmp_path / 'dest' / 'docs' / 'b.txt').read_bytes() == BIG


def test_as_of_refuses_a_hostile_name_in_history_before_writing(run_module, tmp_path):
    """Names in the history container are restored through the same checks as live ones:
    a version named 't/../escape/<stamp>' (someone wrote it there) would be the path
    'dest/../escape'. The restore fails naming it; nothing is written anywhere."""
    fake = FakeSwift()
    args = sync_download_as_of(fake, tmp_path)
    fake.add_object('c_history', 't/../escape/20200101T000000.000000Z', b'evil')  # copied now: covers as_of
    before = local_tree(tmp_path)
    result, failed = run_module(archive_sync.main, fake, info=BULK, **dict(args, as_of=str(fake.clock - 60)))
    assert failed
    assert result['msg'].startswith("object 't/../escape' cannot be restored under path")
    assert local_tree(tmp_path) == before and not (tmp_path / 'escape').exists()
