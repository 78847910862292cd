# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""archive_sync through its entry point, against the in-memory Swift: trees both ways,
check mode against the real run, hostile names, symlinks."""

from __future__ import annotations

import os

import pytest

from ansible_collections.ncloud.archive.plugins.modules import archive_sync
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.test_check_mode import align, pop_timing

MIB = 1024 * 1024
BULK = {'bulk_delete': {'max_deletes_per_request': 10000}}


def make_tree(root):
    """Nested and empty directories, UTF-8 names with spaces, a file above the threshold of
    the tests (2 MiB) and a symlink."""
    (root / 'docs' / 'deep').mkdir(parents=True)
    (root / 'empty').mkdir()
    (root / 'docs' / 'a.txt').write_bytes(b'alpha\n')
    (root / 'docs' / 'deep' / 'b c.txt').write_bytes(b'beta gamma\n')
    (root / 'h\u00e4user \u00fcber.txt').write_bytes('gr\u00fc\u00dfe\n'.encode())
    (root / 'big.bin').write_bytes(bytes(range(256)) * (3 * MIB // 256 + 3))
    os.symlink('/etc/passwd', str(root / 'link'))
    for index, path in enumerate(sorted(p for p in root.rglob('*') if p.is_file() and not p.is_symlink())):
        os.utime(str(path), (1_700_000_000 + index, 1_700_000_000 + index))
    return root


def snapshot(root):
    """{rel: (bytes or 'dir', mtime)} of a tree, symlinks as their target."""
    out = {}
    for path in sorted(root.rglob('*')):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = ('link', os.readlink(str(path)))
        elif path.is_dir():
            out[rel] = ('dir', None)
        else:
            out[rel] = (path.read_bytes(), int(path.stat().st_mtime))
    return out


def sync(run_module, fake, **args):
    params = dict(container='c', prefix='t/', slo_threshold=2 * MIB, segment_size='1MB', threads=3, retries=0)
    params.update(args)
    return run_module(archive_sync.main, fake, info=BULK, **params)


@pytest.fixture(params=['pike', 'modern'])
def fake(request):
    """Swift 2.15.1's listings (NAVER's), then 2.19+'s (with slo_etag): every test runs on both."""
    swift = FakeSwift(modern=request.param == 'modern')
    swift.add_container('c')
    return swift


def segments_of(fake):
    return sorted(fake.containers.get('c_segments', {}).get('objects', {}))


def data(size, seed):
    return bytes((seed + i * 7) % 256 for i in range(256)) * (size // 256) + bytes(size % 256)


def test_large_files_go_up_once_come_back_and_leave_no_segment_behind(run_module, fake, tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    (src / 'one.bin').write_bytes(data(3 * MIB, 1))
    (src / 'two.bin').write_bytes(data(3 * MIB + 5, 2))
    result, failed = sync(run_module, fake, path=str(src))
    assert not failed, result
    assert result['slo'] == ['t/one.bin', 't/two.bin'] and len(segments_of(fake)) == 3 + 4
    fake.writes = []
    again, failed = sync(run_module, fake, path=str(src))
    assert not failed and not again['changed'] and fake.writes == [], again

    dest = tmp_path / 'dest'
    restored, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed and restored['downloaded'] == ['t/one.bin', 't/two.bin'], restored
    assert snapshot(dest) == snapshot(src)
    again, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed and not again['changed'], again

    # One large file removed, the other replaced by a small file: none of their segments stays.
    (src / 'one.bin').unlink()
    (src / 'two.bin').write_bytes(b'small now')
    result, failed = sync(run_module, fake, path=str(src), delete_extra=True)
    assert not failed, result
    assert result['uploaded'] == ['t/two.bin'] and result['deleted'] == ['t/one.bin']
    assert segments_of(fake) == []
    restored, failed = sync(run_module, fake, mode='download', path=str(dest), delete_extra=True)
    assert not failed and snapshot(dest) == snapshot(src), restored


def test_a_small_slo_of_another_client_is_identical_and_restores(run_module, fake, tmp_path):
    """Below slo_threshold the listing's md5 (a manifest's, on 2.15.1) decides first: when it
    differs, a HEAD tells an SLO from a changed file."""
    body = data(MIB + 100, 3)
    fake.add_slo('c', 't/cli.bin', body, 300000)
    src = tmp_path / 'src'
    src.mkdir()
    (src / 'cli.bin').write_bytes(body)
    fake.writes = []
    result, failed = sync(run_module, fake, path=str(src), directory_markers=False)
    assert not failed and not result['changed'] and fake.writes == [], result
    dest = tmp_path / 'dest'
    restored, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed and (dest / 'cli.bin').read_bytes() == body, restored
    again, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed and not again['changed'], again


def test_a_no_op_upload_of_small_files_reads_one_listing(run_module, fake, tmp_path):
    src = tmp_path / 'src'
    (src / 'd').mkdir(parents=True)
    for index in range(5):
        (src / 'd' / ('%d.txt' % index)).write_bytes(b'file %d' % index)
    sync(run_module, fake, path=str(src))
    fake.reads, fake.writes = [], []
    result, failed = sync(run_module, fake, path=str(src))
    assert not failed and not result['changed'], result
    assert fake.reads == [('LIST', 'c')] and fake.writes == []


def test_the_drill_reads_each_object_with_one_request(run_module, fake, tmp_path):
    """mode=verify GETs an object the listing shows as plain, and nothing else (its answer
    has the headers a HEAD would give: a HEAD each is a request per object billed for
    nothing); each segment too. An SLO that lists as plain (below slo_threshold, Swift 2.15.1), a DLO and a
    file above the threshold are read as large objects; all verify."""
    src = tmp_path / 'src'
    src.mkdir()
    for index in range(4):
        (src / ('%d.txt' % index)).write_bytes(b'file %d' % index)
    (src / 'big.bin').write_bytes(data(3 * MIB, 4))
    result, failed = sync(run_module, fake, path=str(src), directory_markers=False)
    assert not failed, result
    fake.add_slo('c', 't/cli.bin', data(MIB + 100, 5), 300000)
    fake.add_dlo('c', 't/dlo.bin', data(MIB, 6), 400000)
    fake.reads = []
    drill, failed = sync(run_module, fake, mode='verify')
    assert not failed and drill['damaged'] == [], drill
    assert drill['verified'] == ['t/%d.txt' % i for i in range(4)] + ['t/big.bin', 't/cli.bin', 't/dlo.bin']
    objects = [read for read in fake.reads if read[0] != 'LIST' and not read[1].startswith('c_segments/')]
    for index in range(4):
        assert [r for r in objects if r[1] == 'c/t/%d.txt' % index] == [('GET', 'c/t/%d.txt' % index)]
    # big.bin (3 MiB, above the threshold): HEAD and manifest first, never its data whole.
    assert [r[0] for r in objects if r[1] == 'c/t/big.bin'] == ['HEAD', 'GET']
    # cli.bin: Swift 2.15.1 lists it as plain, its GET says SLO, and the manifest follows
    # without a HEAD; 2.19+ lists it as an SLO (slo_etag), read like big.bin.
    assert [r[0] for r in objects if r[1] == 'c/t/cli.bin'] == (['HEAD', 'GET'] if fake.modern else ['GET', 'GET'])
    # Each segment: one GET, whose headers carry its expiry.
    segments = [read for read in fake.reads if read[1].startswith('c_segments/')]
    assert segments and all(kind == 'GET' for kind, _path in segments)
    assert len(segments) == len(set(segments))
    assert drill['summary']['bytes_read'] == 4 * 6 + 3 * MIB + (MIB + 100) + MIB


def test_the_drill_names_an_object_deleted_after_the_listing(run_module, fake, tmp_path):
    """An object that is listed but gone when the drill GETs it (deleted meanwhile, or
    expired) is damaged, named as gone: its 404 is an answer, not the task's error."""
    src = tmp_path / 'src'
    src.mkdir()
    for index in range(3):
        (src / ('%d.txt' % index)).write_bytes(b'file %d' % index)
    result, failed = sync(run_module, fake, path=str(src), directory_markers=False)
    assert not failed, result
    listed = fake.get_container

    def list_then_delete(container, **kwargs):
        answer = listed(container, **kwargs)
        if container == 'c' and 't/1.txt' in fake.containers['c']['objects']:
            fake.delete_object('c', 't/1.txt')  # a second writer, between listing and GET
        return answer

    fake.get_container = list_then_delete
    drill, failed = sync(run_module, fake, mode='verify')
    assert failed, drill
    assert [d['name'] for d in drill['damaged']] == ['t/1.txt'], drill
    assert [d['problems'] for d in drill['damaged']] == [
        ['it is listed but does not exist (deleted meanwhile, or expired)']
    ]
    assert drill['verified'] == ['t/0.txt', 't/2.txt']


def test_a_tree_goes_up_and_comes_back_byte_for_byte(run_module, fake, tmp_path):
    src = make_tree(tmp_path / 'src')
    result, failed = sync(run_module, fake, path=str(src))
    assert not failed, result
    assert result['summary'] == {'uploaded': 4, 'identical': 0, 'markers': 4, 'deleted': 0, 'skipped': 1}
    assert result['slo'] == ['t/big.bin'] and result['skipped_paths'] == ['link (symlink)']
    assert sorted(result['markers']) == ['t/', 't/docs/', 't/docs/deep/', 't/empty/']
    again, failed = sync(run_module, fake, path=str(src))
    assert not failed and not again['changed'] and again['summary']['identical'] == 8

    dest = tmp_path / 'restored'
    restored, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed, restored
    assert restored['summary'] == {'downloaded': 4, 'identical': 0, 'markers': 3, 'deleted': 0, 'skipped': 0}
    want = dict((k, v) for k, v in snapshot(src).items() if k != 'link')
    assert snapshot(dest) == want
    again, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed and not again['changed']


def test_one_edited_file_moves_alone_and_delete_extra_works_both_ways(run_module, fake, tmp_path):
    src = make_tree(tmp_path / 'src')
    sync(run_module, fake, path=str(src))
    dest = tmp_path / 'dest'
    sync(run_module, fake, mode='download', path=str(dest))
    (src / 'docs' / 'a.txt').write_bytes(b'ALPHA\n')
    (src / 'docs' / 'deep' / 'b c.txt').unlink()
    result, _failed = sync(run_module, fake, path=str(src), delete_extra=True)
    assert result['uploaded'] == ['t/docs/a.txt'] and result['deleted'] == ['t/docs/deep/b c.txt']
    (dest / 'local-only.txt').write_bytes(b'mine')
    result, _failed = sync(run_module, fake, mode='download', path=str(dest), delete_extra=True)
    assert result['downloaded'] == ['t/docs/a.txt']
    assert sorted(result['deleted']) == ['docs/deep/b c.txt', 'local-only.txt']
    assert (dest / 'docs' / 'a.txt').read_bytes() == b'ALPHA\n'
    assert not (dest / 'local-only.txt').exists()


@pytest.mark.parametrize('mode', ['upload', 'download'])
def test_check_mode_predicts_the_real_run(run_module, fake, tmp_path, mode):
    src = make_tree(tmp_path / 'src')
    dest = tmp_path / 'dest'
    if mode == 'download':
        sync(run_module, fake, path=str(src))
        sync(run_module, fake, mode='download', path=str(dest))
        (dest / 'docs' / 'a.txt').write_bytes(b'changed locally')
        (dest / 'extra.txt').write_bytes(b'extra')
        fake.add_object('c', 't/new.txt', b'new remote file')
        path = dest
    else:
        fake.add_object('c', 't/docs/a.txt', b'stale')
        fake.add_object('c', 't/gone.txt', b'no local file')
        path = src
    fake, real_swift = fake.copy(), fake.copy()  # empty write logs
    stored, files = fake.state(), snapshot(path)
    checked, failed = sync(
        run_module, fake, mode=mode, path=str(path), delete_extra=True, _ansible_check_mode=True, _ansible_diff=True
    )
    assert not failed, checked
    assert fake.writes == [] and fake.state() == stored and snapshot(path) == files
    real, failed = sync(run_module, real_swift, mode=mode, path=str(path), delete_extra=True, _ansible_diff=True)
    assert not failed, real
    pop_timing(checked, real)
    assert checked['changed'] and checked == align(checked, real)


@pytest.mark.parametrize('name', ['t/../escape', 't//abs', 't/a/../../b', 't/a//b', 't/a/./b'])
def test_a_name_that_leaves_path_fails_before_anything_is_written(run_module, fake, tmp_path, name):
    fake.add_object('c', 't/fine.txt', b'fine')
    fake.add_object('c', name, b'evil')
    dest = tmp_path / 'dest'
    result, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert failed and ("object '%s' cannot be restored" % name) in result['msg'], result
    assert not dest.exists() and os.listdir(str(tmp_path)) == []


def test_a_symlink_or_directory_where_a_file_goes_is_refused(run_module, fake, tmp_path):
    fake.add_object('c', 't/d/file.txt', b'data')
    dest = tmp_path / 'dest'
    dest.mkdir()
    outside = tmp_path / 'outside'
    outside.mkdir()
    os.symlink(str(outside), str(dest / 'd'))
    result, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert failed and 'is a symlink' in result['msg'] and os.listdir(str(outside)) == []
    os.unlink(str(dest / 'd'))
    (dest / 'd' / 'file.txt').mkdir(parents=True)
    result, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert failed and 'is a directory where a file must go' in result['msg']


def test_filters_select_in_both_directions(run_module, fake, tmp_path):
    src = make_tree(tmp_path / 'src')
    result, _failed = sync(run_module, fake, path=str(src), include=['*.txt'], exclude=['docs/deep'])
    assert sorted(result['uploaded']) == ['t/docs/a.txt', 't/h\u00e4user \u00fcber.txt']
    fake.add_object('c', 't/docs/deep/remote-only.txt', b'x')
    result, _failed = sync(run_module, fake, path=str(src), include=['*.txt'], exclude=['docs/deep'], delete_extra=True)
    assert result['deleted'] == []  # excluded: never deleted


def test_a_restore_cut_off_part_way_leaves_whole_files_only_and_a_rerun_completes_it(run_module, fake, tmp_path):
    """A body that ends early (a dropped connection) fails the task with what was complete;
    no partial or temp file is left, every file there is whole, and a re-run fetches only
    what is still missing."""
    src = make_tree(tmp_path / 'src')
    _result, failed = sync(run_module, fake, path=str(src))
    assert not failed
    real_get = fake.get_object

    def cut_off(container, name, query_string=None, resp_chunk_size=None):
        headers, body = real_get(container, name, query_string=query_string, resp_chunk_size=resp_chunk_size)
        if name.endswith('b c.txt'):
            data = b''.join(body) if resp_chunk_size else body
            return headers, iter([data[: len(data) // 2]])
        return headers, body

    fake.get_object = cut_off
    dest = tmp_path / 'dest'
    result, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert failed, result
    assert "received 5 bytes, expected 11" in result['msg'], result['msg']
    assert 'downloads of this run were complete, each file whole; nothing was deleted; ' in result['msg']
    assert 're-run fetches only what is still missing' in result['msg']
    source, restored = snapshot(src), snapshot(dest)
    assert not [rel for rel in restored if rel.rsplit('/', 1)[-1].startswith('.')], restored
    assert 'docs/deep/b c.txt' not in restored
    for rel, (data, _mtime) in restored.items():
        if data != 'dir':
            assert data == source[rel][0], rel

    fake.get_object = real_get
    result, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed, result
    assert result['summary']['downloaded'] == 4 - sum(1 for v in restored.values() if v[0] != 'dir')
    restored = snapshot(dest)
    assert dict((k, v) for k, v in restored.items() if k != 'link') == dict(
        (k, v) for k, v in source.items() if k != 'link'
    )


def held(path):
    """Open ``path`` and flock it, as a download that still writes its temp file does."""
    import fcntl

    fd = os.open(str(path), os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def uploaded_and_restored(run_module, fake, tmp_path):
    """(src, dest): make_tree's tree uploaded, then restored whole into ``dest``."""
    src = make_tree(tmp_path / 'src')
    _result, failed = sync(run_module, fake, path=str(src))
    assert not failed
    dest = tmp_path / 'dest'
    _result, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed
    return src, dest


def test_temp_files_of_a_killed_restore_are_removed_and_never_uploaded(run_module, fake, tmp_path):
    """A killed restore leaves its temp files (``.<name>.<8 hex>.part``, unlocked once their
    writer is dead): the next download run removes them, check mode says so first, a temp
    that a running download holds is left alone, and an upload never sends one."""
    src, dest = uploaded_and_restored(run_module, fake, tmp_path)
    whole = snapshot(dest)
    stale = dest / 'docs' / '.a.txt.0badc0de.part'
    stale.write_bytes(b'alp')
    busy = dest / '.big.bin.1234abcd.part'
    busy.write_bytes(b'being written')
    lookalike = dest / '.notes.part'  # not a temp name: the user's file, restored or not
    lookalike.write_bytes(b'mine')
    fd = held(busy)
    try:
        checked, failed = sync(run_module, fake, mode='download', path=str(dest), _ansible_check_mode=True)
        assert not failed, checked
        assert checked['changed'] and checked['temps_removed'] == ['docs/.a.txt.0badc0de.part']
        assert checked['changed_reason'] == '1 temporary file of an interrupted download removed'
        assert stale.exists()
        real, failed = sync(run_module, fake, mode='download', path=str(dest), delete_extra=True)
        assert not failed, real
        assert real['temps_removed'] == checked['temps_removed'] and not stale.exists()
        assert busy.read_bytes() == b'being written', 'a temp file in use was touched'
        assert real['deleted'] == ['.notes.part'] and real['summary']['downloaded'] == 0
    finally:
        os.close(fd)
    assert snapshot(dest) == dict(whole, **{'.big.bin.1234abcd.part': snapshot(dest)['.big.bin.1234abcd.part']})
    again, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed and again['temps_removed'] == ['.big.bin.1234abcd.part'] and snapshot(dest) == whole

    (src / '.big.bin.feedf00d.part').write_bytes(b'half')
    up, failed = sync(run_module, fake, path=str(src))
    assert not failed and not up['changed'], up
    assert '.big.bin.feedf00d.part (the temporary file of a download)' in up['skipped_paths']
    assert 't/.big.bin.feedf00d.part' not in fake.state()[0]['c']['objects']


def test_a_symlink_under_a_temp_name_is_no_temp_file(run_module, fake, tmp_path):
    """Downloads create their temp files as regular files: a symlink named like one (planted
    or not) is neither locked through, removed, nor followed; the run does not fail on it."""
    _src, dest = uploaded_and_restored(run_module, fake, tmp_path)
    outside = tmp_path / 'outside.txt'
    outside.write_bytes(b'not yours')
    link = dest / 'docs' / '.a.txt.0badc0de.part'
    link.symlink_to(outside)
    again, failed = sync(run_module, fake, mode='download', path=str(dest))
    assert not failed, again
    assert again['temps_removed'] == [] and not again['changed']
    assert link.is_symlink() and os.readlink(str(link)) == str(outside)
    assert outside.read_bytes() == b'not yours'
