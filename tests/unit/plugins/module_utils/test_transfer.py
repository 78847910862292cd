# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import os

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _transfer
from ansible_collections.ncloud.archive.plugins.module_utils._connection import ArchiveError

DATA = bytes(range(256)) * 40  # 10240 bytes


def md5(data):
    return hashlib.md5(data).hexdigest()


def segments_of(data, size):
    return [{'name': '/s/%d' % i, 'bytes': len(data[i:i + size]), 'hash': md5(data[i:i + size])}
            for i in range(0, len(data), size)]


def chunks(data, size=777):
    return [data[i:i + size] for i in range(0, len(data), size)]


def test_md5_file_of_a_slice(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(DATA)
    assert _transfer.md5_file(str(path)) == md5(DATA)
    assert _transfer.md5_file(str(path), 100, 1000) == md5(DATA[100:1100])


def test_file_matches_segments_cut_at_manifest_sizes(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(DATA)
    assert _transfer.file_matches_segments(str(path), segments_of(DATA, 4096))
    changed = DATA[:5000] + b'X' + DATA[5001:]
    assert not _transfer.file_matches_segments(str(path), segments_of(changed, 4096))
    assert not _transfer.file_matches_segments(str(path), segments_of(DATA[:-1], 4096))


def test_verifier_accepts_the_right_bytes_in_any_chunking():
    for size in (1, 777, 4096, 20000):
        verifier = _transfer.SegmentVerifier(len(DATA), segments=segments_of(DATA, 4096))
        for chunk in chunks(DATA, size):
            verifier.update(chunk)
        verifier.finish()
    plain = _transfer.SegmentVerifier(len(DATA), etag=md5(DATA))
    for chunk in chunks(DATA):
        plain.update(chunk)
    plain.finish()


def test_verifier_names_the_bad_segment():
    bad = DATA[:5000] + b'X' + DATA[5001:]
    verifier = _transfer.SegmentVerifier(len(DATA), segments=segments_of(DATA, 4096))
    with pytest.raises(ArchiveError, match='segment 2 .* has md5'):
        for chunk in chunks(bad):
            verifier.update(chunk)
        verifier.finish()


def test_verifier_rejects_short_body_and_empty_object_passes():
    verifier = _transfer.SegmentVerifier(len(DATA), etag=md5(DATA))
    verifier.update(DATA[:-1])
    with pytest.raises(ArchiveError, match='received 10239 bytes, expected 10240'):
        verifier.finish()
    empty = _transfer.SegmentVerifier(0, etag=md5(b''))
    empty.finish()


def test_download_replaces_only_when_verified(tmp_path):
    dest = tmp_path / 'out.bin'
    dest.write_bytes(b'old')
    os.chmod(dest, 0o640)
    with pytest.raises(ArchiveError):
        _transfer.download_to(str(dest), chunks(DATA), _transfer.SegmentVerifier(len(DATA), etag=md5(b'other')))
    assert dest.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['out.bin']

    def broken():
        yield DATA[:100]
        raise ConnectionError('reset by peer')
    with pytest.raises(ConnectionError):
        _transfer.download_to(str(dest), broken(), _transfer.SegmentVerifier(len(DATA), etag=md5(DATA)))
    assert dest.read_bytes() == b'old' and os.listdir(tmp_path) == ['out.bin']

    _transfer.download_to(str(dest), chunks(DATA), _transfer.SegmentVerifier(len(DATA), etag=md5(DATA)))
    assert dest.read_bytes() == DATA
    assert os.stat(dest).st_mode & 0o777 == 0o640
