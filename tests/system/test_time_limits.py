# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time limits through the fault proxy (docs/reliability.md): a transfer that keeps moving
is never stopped, however long it takes in all; an endpoint where nothing moves fails at
progress_timeout. The proxy forces each condition (a pause before every segment's answer or
mid-body, a blackhole) and each case asserts that it happened."""

from __future__ import annotations

import re

import pytest
from conftest import make_file, md5_file, md5_object

pytestmark = pytest.mark.fault

MIB = 1024 * 1024
LIMIT = 5  # progress_timeout of these cases
PAUSE = 1.5  # each pause the proxy makes: well inside LIMIT
SEGMENTS = 6  # so that the pauses alone add up to more than LIMIT


def segments_of(container, name):
    return r'^/v1/AUTH_[^/]+/%s_segments/%s/slo/' % (re.escape(container), re.escape(name))


def ok(result):
    assert not result.failed, 'the module failed (rc %s, %.1f s): %s' % (result.rc, result.seconds, result.msg)
    return result.json


def test_a_slow_upload_that_keeps_moving_outlasts_the_no_progress_limit(run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'slow.bin', SEGMENTS * MIB, seed=7)
    rule = proxy.add_rule('delay', method='PUT', path=segments_of(container, 'slow.bin'), seconds=PAUSE)
    args = dict(container=container, name='slow.bin', src=str(src), segment_size='1MB', threads=1)
    result = run_module('archive_slo', dict(args, progress_timeout=LIMIT))
    out = ok(result)
    assert rule.fired == SEGMENTS, 'the proxy paused %d segment PUTs, not %d' % (rule.fired, SEGMENTS)
    assert result.seconds > LIMIT, 'took %.1f s: not longer than the limit, so it proves nothing' % result.seconds
    assert out['segments_uploaded'] == SEGMENTS
    assert md5_object(swift, container, 'slow.bin') == md5_file(src)


def test_a_slow_download_that_keeps_moving_outlasts_the_no_progress_limit(
    run_module, proxy, swift, container, tmp_path
):
    src = make_file(tmp_path / 'slow.bin', SEGMENTS * MIB, seed=8)
    ok(run_module('archive_slo', dict(container=container, name='slow.bin', src=str(src), segment_size='1MB')))
    # Every segment's answer stops half-way for PAUSE seconds, then goes on.
    rule = proxy.add_rule(
        'stall_response', method='GET', path=segments_of(container, 'slow.bin'), after=MIB // 2, seconds=PAUSE
    )
    dest = tmp_path / 'down.bin'
    args = dict(container=container, name='slow.bin', state='downloaded', dest=str(dest), threads=1)
    result = run_module('archive_object', dict(args, progress_timeout=LIMIT))
    ok(result)
    assert rule.fired == SEGMENTS, 'the proxy stalled %d segment GETs, not %d' % (rule.fired, SEGMENTS)
    assert result.seconds > LIMIT, 'took %.1f s: not longer than the limit, so it proves nothing' % result.seconds
    assert md5_file(dest) == md5_file(src)


def test_a_blackholed_swift_fails_at_the_no_progress_limit(run_module, proxy, container):
    """No deadline: progress_timeout alone ends it, at the limit plus at most one back-off."""
    rule = proxy.add_rule('blackhole', upstream='swift')
    args = dict(container=container, name='x', content='x', progress_timeout=LIMIT, timeout=60)
    result = run_module('archive_object', args, timeout=120)
    assert not result.timed_out, 'still running after %.0f s' % result.seconds
    assert result.failed and 'nothing moved for %d s' % LIMIT in result.msg, result.msg
    assert 'progress_timeout' in result.msg and 'Traceback' not in result.msg
    assert rule.fired >= 1
    assert result.seconds < LIMIT + 16 + 10, 'took %.1f s' % result.seconds


def test_a_blackholed_keystone_fails_at_the_no_progress_limit(run_module, proxy, container):
    rule = proxy.add_rule('blackhole', upstream='keystone')
    args = dict(container=container, name='x', content='x', progress_timeout=LIMIT)
    result = run_module('archive_object', args, timeout=120)
    assert not result.timed_out, 'still running after %.0f s' % result.seconds
    assert result.failed and 'Traceback' not in result.msg, result.msg
    assert any(word in result.msg for word in ('progress_timeout', 'auth_url', 'Keystone')), result.msg
    assert rule.fired >= 1 and proxy.swift_requests() == []
    assert result.seconds < LIMIT + 16 + 10, 'took %.1f s' % result.seconds
