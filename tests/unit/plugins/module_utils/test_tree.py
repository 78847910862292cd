# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_tree: the filters a user writes, the temp files of downloads (named, told apart, removed
only when nobody writes them), the walk, and object names that must not leave the tree."""

from __future__ import annotations

import fcntl
import os

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _tree
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError

# --- include / exclude --------------------------------------------------------------------


@pytest.mark.parametrize(
    'rel, include, exclude, expected',
    [
        ('a.txt', None, None, True),
        ('a.txt', None, [], True),
        ('docs/a.txt', ['docs'], None, True),  # a directory pattern selects what is below it
        ('docs/deep/a.txt', ['docs/deep'], None, True),
        ('docsx/a.txt', ['docs'], None, False),
        ('docs/a.txt', ['*.txt'], None, True),  # '*' crosses '/'
        ('docs/a.log', ['*.txt'], None, False),
        ('docs/a.txt', ['*.txt'], ['docs'], False),  # exclude wins
        ('docs/a.txt', None, ['docs/*'], False),
        ('cache/x/y.bin', None, ['cache'], False),
        ('A.TXT', ['*.txt'], None, False),  # case matters, as in object names
        ('a.txt', ['b.txt', 'a.*'], None, True),
    ],
)
def test_selected(rel, include, exclude, expected):
    assert _tree.selected(rel, include, exclude) is expected


# --- temp files of downloads -----------------------------------------------------------


def test_temp_names_round_trip():
    name = _tree.temp_name('db.dump', '0badc0de')
    assert name == '.db.dump.0badc0de.part'
    assert _tree.is_temp(name) and _tree.temp_target(name) == 'db.dump'
    assert _tree.temp_target(_tree.temp_name('.hidden.part', 'deadbeef')) == '.hidden.part'
    assert _tree.temp_target(_tree.temp_name('line\nbreak', '01234567')) == 'line\nbreak'


@pytest.mark.parametrize(
    'name',
    [
        'db.dump',
        '.db.dump.part',  # no token
        'db.dump.0badc0de.part',  # no leading dot
        '.db.dump.0BADC0DE.part',  # the token is lower-case hex
        '.db.dump.0badc0d.part',  # 7 digits
        '.db.dump.0badc0de1.part',  # 9 digits
        '.db.dump.0badc0de.partial',
        '..0badc0de.part',  # no target name
    ],
)
def test_other_names_are_no_temp_names(name):
    assert not _tree.is_temp(name) and _tree.temp_target(name) is None


def make(path, data=b'x'):
    path.write_bytes(data)
    return str(path)


def test_only_a_regular_file_under_a_temp_name_is_a_temp_file(tmp_path):
    assert _tree.is_temp_file(make(tmp_path / '.f.0badc0de.part'))
    assert not _tree.is_temp_file(make(tmp_path / 'f.0badc0de.part'))
    link = tmp_path / '.g.0badc0de.part'
    link.symlink_to(tmp_path / '.f.0badc0de.part')
    assert not _tree.is_temp_file(str(link))
    (tmp_path / '.d.0badc0de.part').mkdir()
    assert not _tree.is_temp_file(str(tmp_path / '.d.0badc0de.part'))
    assert not _tree.is_temp_file(str(tmp_path / '.missing.0badc0de.part'))


class Writer:
    """A download in progress: holds the flock of its temp file, as _transfer does."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDONLY)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def end(self):
        os.close(self.fd)


def test_a_temp_file_that_a_download_writes_is_left_alone(tmp_path):
    path = make(tmp_path / '.f.0badc0de.part')
    writer = Writer(path)
    try:
        assert _tree.temp_in_use(path)
        assert _tree.remove_stale_temp(path) is False
        assert os.path.exists(path)
        assert _tree.stale_temps_of(str(tmp_path), 'f') == []
        with pytest.raises(
            ArchiveError, match="'.f.0badc0de.part' is the temporary file of a download that another run"
        ):
            _tree.remove_stale_temps(str(tmp_path), ['.f.0badc0de.part'])
        assert os.path.exists(path)
    finally:
        writer.end()
    # Its writer killed: the lock is gone, the file is a leftover.
    assert not _tree.temp_in_use(path)
    assert _tree.stale_temps_of(str(tmp_path), 'f') == ['.f.0badc0de.part']
    assert _tree.remove_stale_temp(path) is True and not os.path.exists(path)
    assert _tree.remove_stale_temp(path) is True  # already gone: gone


def test_stale_temps_of_a_file_are_its_own_only(tmp_path):
    make(tmp_path / '.f.0badc0de.part')
    make(tmp_path / '.f.12345678.part')
    make(tmp_path / '.other.0badc0de.part')
    make(tmp_path / '.f.part')
    (tmp_path / '.f.87654321.part').symlink_to(tmp_path / 'elsewhere')
    assert _tree.stale_temps_of(str(tmp_path), 'f') == ['.f.0badc0de.part', '.f.12345678.part']
    assert _tree.stale_temps_of(str(tmp_path / 'missing'), 'f') == []
    _tree.remove_stale_temps(str(tmp_path), ['.f.0badc0de.part', '.f.12345678.part'])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['.f.87654321.part', '.f.part', '.other.0badc0de.part']


# --- the walk ----------------------------------------------------------------------------


def test_the_walk_sorts_files_and_sets_apart_what_it_does_not_send(tmp_path):
    (tmp_path / 'docs' / 'deep').mkdir(parents=True)
    (tmp_path / 'cache').mkdir()
    (tmp_path / 'empty').mkdir()
    make(tmp_path / 'a.txt')
    make(tmp_path / 'docs' / 'b.txt')
    make(tmp_path / 'docs' / 'deep' / 'c.log')
    make(tmp_path / 'cache' / 'junk')
    make(tmp_path / 'docs' / '.b.txt.0badc0de.part')
    (tmp_path / 'link').symlink_to('/etc/passwd')
    (tmp_path / 'dirlink').symlink_to(tmp_path / 'docs')
    os.mkfifo(str(tmp_path / 'fifo'))

    tree = _tree.Tree(str(tmp_path), exclude=['cache'])
    assert tree.dirs == ['docs', 'empty', 'docs/deep']
    assert sorted(tree.files) == ['a.txt', 'docs/b.txt', 'docs/deep/c.log']
    assert tree.skipped == {
        'link': 'symlink',
        'dirlink': 'symlink',
        'fifo': 'not a regular file',
        'docs/.b.txt.0badc0de.part': _tree.TEMP_REASON,
    }
    assert tree.temps == ['docs/.b.txt.0badc0de.part']
    assert tree.path('docs/deep/c.log') == str(tmp_path / 'docs' / 'deep' / 'c.log')

    # include selects files; directories stay (their markers are kept), exclude prunes them.
    only_logs = _tree.Tree(str(tmp_path), include=['*.log'], exclude=['cache'])
    assert sorted(only_logs.files) == ['docs/deep/c.log'] and 'empty' in only_logs.dirs


def test_following_symlinks_ends_on_a_loop(tmp_path):
    (tmp_path / 'd').mkdir()
    make(tmp_path / 'd' / 'f')
    (tmp_path / 'd' / 'loop').symlink_to(tmp_path)
    tree = _tree.Tree(str(tmp_path), follow_symlinks=True)
    assert 'd/f' in tree.files and 'd/loop' in tree.dirs
    assert not any(rel.startswith('d/loop/d/loop') for rel in tree.files)


# --- object names back to paths -------------------------------------------------------


@pytest.mark.parametrize(
    'name, rel',
    [
        ('t/a.txt', 'a.txt'),
        ('t/docs/deep/b c.txt', 'docs/deep/b c.txt'),
        ('t/docs/', 'docs/'),
        ('t/..hidden', '..hidden'),
        ('t/a..b/c', 'a..b/c'),
        ('t/h\u00e4user', 'h\u00e4user'),
    ],
)
def test_names_that_stay_inside_map_to_their_path(name, rel):
    assert _tree.restore_rel(name, 't/') == rel


@pytest.mark.parametrize(
    'name, problem',
    [
        ('t/../escape', "has a '.' or '..' component and would be written outside path"),
        ('t/a/../../b', "has a '.' or '..' component"),
        ('t/./a', "has a '.' or '..' component"),
        ('t/..', "has a '.' or '..' component"),
        ('t//etc/passwd', "starts with '/' (an absolute path)"),
        ('t/a//b', "has an empty component ('//')"),
        ('t/a\x00b', 'has a NUL character'),
    ],
)
def test_hostile_names_are_refused_naming_the_object(name, problem):
    with pytest.raises(ArchiveError) as err:
        _tree.restore_rel(name, 't/')
    assert err.value.message.startswith("object '%s' cannot be restored under path: its name " % name)
    assert problem in err.value.message and 'nothing was written' in err.value.message


def test_nothing_is_written_through_a_symlink_or_over_the_wrong_kind_of_file(tmp_path):
    root = str(tmp_path)
    (tmp_path / 'dir').mkdir()
    make(tmp_path / 'file')
    (tmp_path / 'link').symlink_to(tmp_path / 'dir')
    _tree.check_target(root, 'new/deeper/file', False)  # missing parts are created later
    _tree.check_target(root, 'dir/file', False)
    _tree.check_target(root, 'file', False)
    _tree.check_target(root, 'dir/', True)
    with pytest.raises(ArchiveError, match="link' is a symlink; archive_sync does not write through symlinks"):
        _tree.check_target(root, 'link/file', False)
    with pytest.raises(ArchiveError, match='is not a directory, but the objects need one there'):
        _tree.check_target(root, 'file/below', False)
    with pytest.raises(ArchiveError, match='is not a directory'):
        _tree.check_target(root, 'file/', True)
    with pytest.raises(ArchiveError, match='is a directory where a file must go'):
        _tree.check_target(root, 'dir', False)
