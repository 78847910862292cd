# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local directory trees for archive_sync: walking them, filtering relative paths, and
mapping object names back to paths that stay inside the tree; and the one home of the temp
files downloads write (name, create, lock, find, clean, and how a plan words them).

Internal use only: this file is not a public API of the collection. No Ansible, no HTTP.
Relative paths use '/' whatever the platform, as object names do.
"""

from __future__ import annotations

import fcntl
import fnmatch
import os
import re
import secrets
import stat

from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError


def selected(rel, include, exclude):
    """Whether the relative path ``rel`` passes the filters: it matches one of ``include``
    (all do when it is None) and none of ``exclude``. Patterns are fnmatch globs on the whole
    relative path (``*`` also crosses '/'); a pattern also matches everything below a
    directory it matches."""

    def hit(patterns):
        parts = rel.split('/')
        prefixes = ['/'.join(parts[:i]) for i in range(1, len(parts) + 1)]
        return any(fnmatch.fnmatchcase(p, pattern) for pattern in patterns for p in prefixes)

    return (include is None or hit(include)) and not hit(exclude or ())


# The temp file a download writes beside its target: ``.<name>.<8 hex digits>.part``. Its
# writer holds an flock on it until the rename; one nobody holds is left by a killed run.
_TEMP_RE = re.compile(r'^\.(.+)\.[0-9a-f]{8}\.part$', re.DOTALL)
TEMP_REASON = 'the temporary file of a download'


def temp_name(name, token):
    """The name of a download's temp file for the file ``name`` (``token``: 8 hex digits)."""
    return '.%s.%s.part' % (name, token)


def create_temp(directory, name):
    """(fd, path) of a new file ``.<name>.<random>.part`` in ``directory``, created 0666 so
    that the umask applies (reading the umask means setting it, which races with threads),
    and flock-ed until it is closed: a temp file nobody locks is left by a killed run
    (remove_stale_temp)."""
    for _attempt in range(100):
        tmp = os.path.join(directory, temp_name(name, secrets.token_hex(4)))
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_CLOEXEC', 0), 0o666)
        except FileExistsError:
            continue
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd, tmp
    raise FileExistsError('no free temporary file name beside %s' % os.path.join(directory, name))


def temps_removed_reason(temps):
    """How a plan says that it removes the temp files ``temps`` that killed runs left."""
    return '%d temporary file%s of an interrupted download removed' % (len(temps), '' if len(temps) == 1 else 's')


def is_temp(name):
    """Whether the file name ``name`` is one a download gives its temp files."""
    return temp_target(name) is not None


def temp_target(name):
    """The name of the file whose download has the temp file ``name``; None if ``name`` is
    not a download's temp file."""
    match = _TEMP_RE.match(name)
    return match.group(1) if match else None


def is_temp_file(path):
    """Whether ``path`` is a download's temp file: a regular file (downloads create them
    with O_EXCL; a symlink or other file under such a name is not one) with a temp name."""
    if not is_temp(os.path.basename(path)):
        return False
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _lock_temp(path):
    """An fd of the temp file ``path`` holding its flock, or None when it is gone; raises
    BlockingIOError while a download holds it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0))
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(fd)
        raise
    return fd


def temp_in_use(path):
    """Whether a download still writes the temp file ``path`` (its writer holds an flock on
    it; a killed writer's lock is gone with it). Only tries the lock: changes nothing."""
    try:
        fd = _lock_temp(path)
    except BlockingIOError:
        return True
    if fd is not None:
        os.close(fd)
    return False


def remove_stale_temp(path):
    """Remove the temp file ``path`` unless a download still writes it. Returns whether it
    is gone (a temp that another run removed first is gone too)."""
    try:
        fd = _lock_temp(path)
    except BlockingIOError:
        return False
    if fd is None:
        return True
    try:
        # Unlinked while locked, and only if the name still holds the file that was locked.
        if os.fstat(fd).st_ino == os.lstat(path).st_ino:
            os.unlink(path)
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)
    return True


def remove_stale_temps(root, rels):
    """Remove the temp files ``rels`` (relative to ``root``) that killed runs left; fails,
    before any download, if one has a writer again."""
    for rel in rels:
        if not remove_stale_temp(os.path.join(root, *rel.split('/'))):
            raise ArchiveError(
                "'%s' is the temporary file of a download that another run has started since; "
                'nothing was downloaded, run the task again once it has ended' % rel
            )


def stale_temps_of(directory, name):
    """The temp files of downloads of the file ``name`` in ``directory`` that nobody writes:
    those killed runs left."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    return sorted(
        n
        for n in names
        if temp_target(n) == name
        and is_temp_file(os.path.join(directory, n))
        and not temp_in_use(os.path.join(directory, n))
    )


class Tree:
    """What a walk of ``root`` found: ``dirs`` (relative paths), ``files`` ({rel: os.stat
    result}), ``skipped`` ({rel: why}) for symlinks not followed, special files and the
    temp files of downloads (``temps``: their relative paths as well)."""

    def __init__(self, root, include=None, exclude=None, follow_symlinks=False):
        self.root = root
        self.dirs = []
        self.files = {}
        self.skipped = {}
        self.temps = []
        seen = set()
        for top, dirnames, filenames in os.walk(root, followlinks=follow_symlinks):
            if follow_symlinks:
                # A symlink loop would make the walk endless: each real directory once.
                real = os.path.realpath(top)
                if real in seen:
                    dirnames[:] = []
                    continue
                seen.add(real)
            base = os.path.relpath(top, root)
            base = '' if base == '.' else base.replace(os.sep, '/') + '/'
            kept = []
            for name in sorted(dirnames):
                rel = base + name
                if not selected(rel, None, exclude):
                    continue
                if os.path.islink(os.path.join(top, name)) and not follow_symlinks:
                    self.skipped[rel] = 'symlink'
                    continue
                kept.append(name)
                self.dirs.append(rel)
            dirnames[:] = kept
            for name in sorted(filenames):
                rel = base + name
                if not selected(rel, include, exclude):
                    continue
                full = os.path.join(top, name)
                if is_temp_file(full):
                    self.skipped[rel] = TEMP_REASON
                    self.temps.append(rel)
                    continue
                try:
                    info = os.stat(full) if follow_symlinks else os.lstat(full)
                except OSError as exc:
                    self.skipped[rel] = 'unreadable (%s)' % exc.strerror
                    continue
                if stat.S_ISLNK(info.st_mode):
                    self.skipped[rel] = 'symlink'
                elif not stat.S_ISREG(info.st_mode):
                    self.skipped[rel] = 'not a regular file'
                else:
                    self.files[rel] = info

    def path(self, rel):
        return os.path.join(self.root, *rel.split('/'))


def restore_rel(name, prefix):
    """The relative path (``'a/b'``, or ``'a/b/'`` for a directory) that object ``name``
    restores to under the tree, or an ArchiveError naming the object when it cannot: a name
    that would leave the tree (a leading '/', '.' or '..' components), or that is no file
    name (empty components as in ``a//b``, NUL)."""
    rel = name[len(prefix) :]
    parts = rel.split('/')
    if rel.endswith('/'):
        parts = parts[:-1]
    problem = None
    if '\x00' in rel:
        problem = 'has a NUL character'
    elif rel.startswith('/'):
        problem = "starts with '/' (an absolute path)"
    elif any(part in ('.', '..') for part in parts):
        problem = "has a '.' or '..' component and would be written outside path"
    elif any(part == '' for part in parts):
        problem = "has an empty component ('//'), which is no file name"
    if problem:
        raise ArchiveError(
            "object '%s' cannot be restored under path: its name %s; nothing "
            "was written. Exclude it, or rename it with another tool" % (name, problem)
        )
    return rel


def check_target(root, rel, directory):
    """Refuse to write through or over something that is not ours to replace: a symlink on
    the way (or at the place itself), a directory where a file must go, a file where a
    directory must go. Missing parts are fine: they are created."""
    parts = rel.rstrip('/').split('/')
    current = root
    for index, part in enumerate(parts):
        current = os.path.join(current, part)
        last = index == len(parts) - 1
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return
        where = "'%s'" % current
        if stat.S_ISLNK(info.st_mode):
            raise ArchiveError(
                '%s is a symlink; archive_sync does not write through symlinks: '
                'remove it or restore into another path' % where
            )
        if (not last or directory) and not stat.S_ISDIR(info.st_mode):
            raise ArchiveError(
                '%s is not a directory, but the objects need one there: remove it or restore into another path' % where
            )
        if last and not directory and not stat.S_ISREG(info.st_mode):
            raise ArchiveError(
                '%s is %s where a file must go: remove it or restore into '
                'another path' % (where, 'a directory' if stat.S_ISDIR(info.st_mode) else 'not a regular file')
            )
