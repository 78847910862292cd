# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local data and its md5s: the one place that reads a local file to hash it.

Internal use only: this file is not a public API of the collection. No Ansible, no HTTP.
``Local`` is what the planner compares with an object (a file or bytes); its md5 and the
md5s of its slices are computed here, at most once each, when identity needs them, so the
planner itself opens no file.
"""

from __future__ import annotations

import os

from ansible_collections.ncloud.archive.plugins.module_utils import _swift

CHUNK = 1024 * 1024


def md5_file(path, offset=0, length=None):
    """md5 hex digest of ``length`` bytes of ``path`` from ``offset`` (to the end if None)."""
    digest = _swift.new_md5()
    with open(path, 'rb') as handle:
        handle.seek(offset)
        remaining = length
        while remaining is None or remaining > 0:
            chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            if remaining is not None:
                remaining -= len(chunk)
    return digest.hexdigest()


def md5_comparable(segment):
    """Whether a manifest entry's hash is the md5 of its bytes: not for a byte range of a
    segment or a nested SLO (whose hash is its own manifest's ETag)."""
    return 'range' not in segment and not segment.get('sub_slo') and bool(segment.get('hash'))


def file_matches_segments(path, segments):
    """Whether the file, cut at the segments' sizes, gives the segments' md5s.

    ``segments`` is a parsed SLO manifest (dicts with ``bytes`` and ``hash``). Reads the file
    once, stops at the first slice that differs.
    """
    if os.path.getsize(path) != sum(s['bytes'] for s in segments):
        return False
    offset = 0
    for segment in segments:
        if not md5_comparable(segment) or md5_file(path, offset, segment['bytes']) != segment['hash']:
            return False
        offset += segment['bytes']
    return True


class Local:
    """Local data to compare with an object: a file (``path``) or bytes (``data``).

    The md5 is computed at most once, when identity needs it (or given, when known).
    """

    def __init__(self, path=None, data=None, md5=None, size=None, mtime=None):
        self.path = path
        self.data = data
        self._md5 = md5
        if data is not None:
            self.size = len(data)
        elif size is not None:
            self.size = size
        else:
            stat = os.stat(path)
            self.size = stat.st_size
            mtime = stat.st_mtime if mtime is None else mtime
        self.mtime = None if mtime is None else _swift.source_mtime(mtime)

    def md5(self):
        if self._md5 is None:
            self._md5 = _swift.md5_hex(self.data) if self.data is not None else md5_file(self.path)
        return self._md5

    def md5_range(self, offset, length):
        """md5 of ``length`` bytes of the file from ``offset``."""
        return md5_file(self.path, offset, length)

    def matches_segments(self, segments):
        """Whether the file, cut at the segments' sizes, gives their md5s."""
        return file_matches_segments(self.path, segments)
