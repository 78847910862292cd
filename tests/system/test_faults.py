# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection: the modules against a real Swift and Keystone with faults in between.

Every case asserts what a user sees (bytes, md5s, ``changed``, messages, what is left in the
containers) and that the fault really happened (the proxy's rule fired), so no case passes
because nothing was injected. docs/reliability.md lists the cases.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import time

import pytest
from conftest import auth_defaults_yaml, auth_options, make_file, md5_file, md5_object
from swiftclient.exceptions import ClientException

pytestmark = pytest.mark.fault

MIB = 1024 * 1024
SEGMENT_SIZE = '1MB'  # human_to_bytes: 1 MiB
MANIFEST_PUT = r'multipart-manifest=put'


# --- helpers ------------------------------------------------------------------------------


def object_path(container, name):
    """Regex of the requests for exactly this object (any query string)."""
    return r'^/v1/AUTH_[^/]+/%s/%s(\?|$)' % (re.escape(container), re.escape(name))


def segment_path(container, name):
    """Regex of the requests for the segments of the SLO ``name`` (default segment container)."""
    return r'^/v1/AUTH_[^/]+/%s_segments/%s/slo/' % (re.escape(container), re.escape(name))


def slo_args(container, name, src, **extra):
    return dict(dict(container=container, name=name, src=str(src), segment_size=SEGMENT_SIZE), **extra)


def ok(result):
    """Assert the run succeeded; return its JSON."""
    assert not result.failed, 'the module failed (rc %s, %.1f s): %s\n%s' % (
        result.rc,
        result.seconds,
        result.msg,
        result.output[-3000:],
    )
    return result.json


def failed(result):
    """Assert the run failed cleanly (a message, no traceback); return the message."""
    assert result.failed, 'the module succeeded but should have failed: %s' % result.output[-3000:]
    assert not result.timed_out, 'the module did not finish within %.0f s' % result.seconds
    assert result.msg, 'failed without a message: %s' % result.output[-3000:]
    assert 'Traceback' not in result.msg and 'Traceback' not in (result.stderr or ''), (
        'a traceback was shown: %s' % result.output[-3000:]
    )
    # The cause, shown at -vvv only: scrubbed of tokens like the message.
    cause = (result.json or {}).get('exception', '')
    assert 'X-Auth-Token' not in cause or 'X-Auth-Token: <redacted>' in cause, cause
    assert 'Unsupported parameters' not in result.msg, 'an option of the case is unknown: %s' % result.msg
    return result.msg


def segments_in(swift, container, name):
    """Names (``/container/object``) of the stored segments of ``name``, sorted."""
    seg = container + '_segments'
    try:
        entries = swift.get_container(seg, prefix=name + '/slo/', full_listing=True)[1]
    except ClientException as exc:
        if exc.http_status == 404:
            return []
        raise
    return sorted('/%s/%s' % (seg, e['name']) for e in entries)


def segment_container_entries(swift, container):
    """Paths of everything in ``container``'s segment container, sorted."""
    try:
        entries = swift.get_container(container + '_segments', full_listing=True)[1]
    except ClientException as exc:
        if exc.http_status == 404:
            return []
        raise
    return sorted('/%s_segments/%s' % (container, e['name']) for e in entries)


def all_segments(swift, container):
    """The segments in the segment container (not the versions' written markers)."""
    return [p for p in segment_container_entries(swift, container) if not p.endswith('/written')]


def written_markers(swift, container):
    return [p for p in segment_container_entries(swift, container) if p.endswith('/written')]


def manifest_of(swift, container, name):
    """Segment names of the live manifest, in order."""
    body = swift.get_object(container, name, query_string='multipart-manifest=get')[1]
    return [s['name'] for s in json.loads(body)]


def assert_object_is(swift, container, name, path):
    got = md5_object(swift, container, name)
    assert got == md5_file(path), '%s/%s reads back with md5 %s, %s has %s' % (
        container,
        name,
        got,
        path,
        md5_file(path),
    )


def assert_only_live_segments(swift, container, name):
    live = sorted(manifest_of(swift, container, name))
    stored = all_segments(swift, container)
    assert stored == live, 'segment container: %d stored, %d referenced; not referenced: %s' % (
        len(stored),
        len(live),
        sorted(set(stored) - set(live))[:10],
    )


def fired(rule, at_least=1):
    assert rule.fired >= at_least, 'the fault was not injected: %r' % rule


def cut(proxy, rule, at_least=1):
    """Assert a reset_response rule really cut answers (not just bodies shorter than its cut)."""
    really = [r for r in proxy.hits(rule) if r['status'] == 'reset']
    assert len(really) >= at_least, 'no answer was cut: %r %r' % (rule, proxy.hits(rule))


def closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def wait_for(predicate, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError('timed out after %d s waiting for %s' % (timeout, what))


# --- a. transient faults: everything still succeeds byte-exact ----------------------------


@pytest.mark.parametrize('code', [503, 429])
def test_transient_segment_put_errors(code, run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'big.bin', 4 * MIB + 123, seed=code)
    rule = proxy.add_rule('status', method='PUT', path=segment_path(container, 'big.bin'), count=2, code=code)
    result = ok(run_module('archive_slo', slo_args(container, 'big.bin', src)))
    assert result['changed'] and result['segments_uploaded'] == 5
    assert rule.fired == 2
    assert_object_is(swift, container, 'big.bin', src)
    assert_only_live_segments(swift, container, 'big.bin')


def test_one_401_on_head(run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'small.bin', 64 * 1024, seed=401)
    rule = proxy.add_rule('status', method='HEAD', path=object_path(container, 'small.bin'), count=1, code=401)
    result = ok(run_module('archive_object', dict(container=container, name='small.bin', src=str(src))))
    assert result['changed']
    fired(rule)
    # The 401 made it fetch a new token and repeat the HEAD.
    assert len(proxy.find('POST', r'^/v3/auth/tokens')) >= 2
    assert_object_is(swift, container, 'small.bin', src)


def swift_401(lab):
    """Parameters of a 'status' rule answering as Swift answers an expired or revoked token
    (the lab's proxy, asked with a token Keystone no longer accepts)."""
    return dict(
        code=401,
        body='<html><h1>Unauthorized</h1><p>This server could not verify that you are authorized '
        'to access the document you requested.</p></html>',
        headers=[
            ('Content-Type', 'text/html; charset=UTF-8'),
            ('Www-Authenticate', 'Swift realm="AUTH_%s"' % lab['project_id']),
            ('WWW-Authenticate', 'Keystone uri="%s"' % lab['auth_url']),
        ],
    )


def position(records, record):
    """Index of ``record`` (that very request) in ``records``."""
    return next(i for i, each in enumerate(records) if each is record)


def token_requests(proxy):
    auths = proxy.find('POST', r'^/v3/auth/tokens')
    assert auths and all(a['status'] == 201 and a['subject_token'] for a in auths), auths
    tokens = [a['subject_token'] for a in auths]
    assert len(set(tokens)) == len(tokens), 'the same token twice'
    return auths


def assert_new_token_from(proxy, refused, resent, after):
    """``refused`` carried the run's first token; a second one was fetched after it, then
    ``resent`` (the repeated request) went out; ``after`` all carried the second token."""
    auths = token_requests(proxy)
    assert len(auths) >= 2, 'no new token was fetched'
    assert refused['token'] == auths[0]['subject_token'], 'the refused request did not carry the first token'
    records = proxy.records
    assert position(records, refused) < position(records, auths[1]) < position(records, resent), (
        'not in the order: refused, new token, sent again'
    )
    assert resent in after and {r['token'] for r in after} == {auths[1]['subject_token']}, (
        'the requests after the 401 did not all carry the new token'
    )


@pytest.mark.parametrize('expiry', ['one_401', 'token_expired'])
def test_401_mid_slo_upload(expiry, run_module, proxy, lab, swift, container, tmp_path):
    """An upload that outlives its token, forced: the 5th of 40 segment PUTs (one at a time)
    is answered 401 as Swift answers an expired token. token_expired: from then on every
    request carrying that token is refused too, on any connection (as after a real expiry)."""
    count, size = 40, 16 * 1024
    src = make_file(tmp_path / 'many.bin', count * size, seed=4015)
    segs = segment_path(container, 'many.bin')
    rule = proxy.add_rule('status', method='PUT', path=segs, skip=4, count=1, **swift_401(lab))
    if expiry == 'token_expired':
        expired = proxy.add_rule(
            'status', upstream='swift', token=lambda t: t in [h['token'] for h in proxy.hits(rule)], **swift_401(lab)
        )
    result = ok(run_module('archive_slo', slo_args(container, 'many.bin', src, segment_size=size, threads=1)))
    assert rule.fired == 1, rule
    hit = proxy.hits(rule)[0]
    puts = proxy.find('PUT', segs)
    at = position(puts, hit)
    assert at == 4 and hit['status'] == 401, 'the 401 was not the answer to the 5th segment PUT'
    old = hit['token']
    assert {r['token'] for r in puts[:at]} == {old}, 'the segments before the 401 used several tokens'
    again = puts[at + 1]
    assert again['path'] == hit['path'] and again['status'] == 201, 'the refused segment was not sent again'
    assert_new_token_from(proxy, hit, again, puts[at + 1 :])
    refused = [r for r in proxy.records if r['status'] == 401]
    auths = token_requests(proxy)
    if expiry == 'one_401':
        assert refused == [hit] and len(auths) == 2, (refused, auths)
    else:
        # The other connection (HEADs, the manifest) met the expiry too, and renewed its token.
        fired(expired)
        assert all(r['token'] == old for r in refused), refused
        swift_requests = proxy.swift_requests()
        late = swift_requests[position(swift_requests, hit) :]
        assert [r for r in late if r['token'] == old and r['status'] != 401] == []
        assert len(auths) == 1 + len(refused), 'not one new token per refusal: %d tokens, %d refusals' % (
            len(auths),
            len(refused),
        )
        assert [r['status'] for r in proxy.find('PUT', MANIFEST_PUT)] == [201]
    stored = [r['path'] for r in puts if r['status'] == 201]
    assert len(stored) == len(set(stored)) == count, 'segments stored: %d (%d distinct)' % (
        len(stored),
        len(set(stored)),
    )
    assert result['changed'] and result['segments_uploaded'] == count
    # archive_object fetches the segments one by one (a GET of the whole SLO is throttled
    # to one segment per second after the tenth) and checks each one's md5.
    dest = tmp_path / 'down.bin'
    proxy.clear()
    ok(run_module('archive_object', dict(container=container, name='many.bin', state='downloaded', dest=str(dest))))
    assert md5_file(dest) == md5_file(src)
    assert_only_live_segments(swift, container, 'many.bin')


def assert_manifest_sent_again(proxy, refused, result, segments, swift, container, src):
    """The manifest PUT of 'data.bin' answered ``refused``, then 201 with a new token (the
    only other token of the run); the upload's result and what Swift holds are right.
    Returns the manifest PUT records."""
    manifests = proxy.find('PUT', MANIFEST_PUT)
    assert [r['status'] for r in manifests] == [refused, 201], manifests
    swift_requests = proxy.swift_requests()
    assert_new_token_from(proxy, manifests[0], manifests[1], swift_requests[position(swift_requests, manifests[1]) :])
    assert len(token_requests(proxy)) == 2
    assert result['changed'] and result['segments_uploaded'] == segments
    assert_object_is(swift, container, 'data.bin', src)
    assert_only_live_segments(swift, container, 'data.bin')
    return manifests


def test_401_on_manifest_put(run_module, proxy, lab, swift, container, tmp_path):
    """The last request of an upload, the manifest PUT, answered 401: sent again with a new
    token."""
    src = make_file(tmp_path / 'data.bin', 3 * MIB + 11, seed=4016)
    rule = proxy.add_rule('status', method='PUT', path=MANIFEST_PUT, count=1, **swift_401(lab))
    result = ok(run_module('archive_slo', slo_args(container, 'data.bin', src)))
    assert rule.fired == 1, rule
    manifests = assert_manifest_sent_again(proxy, 401, result, 4, swift, container, src)
    assert manifests[0] is proxy.hits(rule)[0]


def test_manifest_sub_requests_401(run_module, proxy, lab, swift, container, tmp_path):
    """Swift checks a manifest's segments with the PUT's own token; one that expires meanwhile
    makes the manifest PUT fail with 400 naming segments '401 Unauthorized'. The manifest is
    sent again with a new token (docs/design.md, Tokens during long requests)."""
    size = 2 * MIB + 7
    src = make_file(tmp_path / 'data.bin', size, seed=4017)
    first = '/%s_segments/data.bin/slo/%f/%d/%d/%08d' % (container, os.stat(src).st_mtime, size, MIB, 0)
    # Swift's plain-text answer (slo.py, get_heartbeat_response_body).
    body = 'Errors:\n%s, 401 Unauthorized\n' % first
    rule = proxy.add_rule('status', method='PUT', path=MANIFEST_PUT, count=1, code=400, body=body)
    result = ok(run_module('archive_slo', slo_args(container, 'data.bin', src)))
    assert rule.fired == 1, rule
    assert proxy.find('PUT', re.escape(first) + '$'), 'the answer names a segment that was not uploaded'
    assert_manifest_sent_again(proxy, 400, result, 3, swift, container, src)


@pytest.mark.parametrize('module', ['archive_object', 'archive_slo'])
def test_reset_mid_request_body(module, run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'data.bin', 3 * MIB, seed=7)
    if module == 'archive_object':
        args = dict(container=container, name='data.bin', src=str(src))
        path = object_path(container, 'data.bin')
    else:
        args = slo_args(container, 'data.bin', src)
        path = segment_path(container, 'data.bin')
    rule = proxy.add_rule('reset_request', method='PUT', path=path, count=1, after=512 * 1024)
    assert ok(run_module(module, args))['changed']
    assert rule.fired == 1
    assert_object_is(swift, container, 'data.bin', src)


def test_reset_mid_response_body_plain(run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'data.bin', 3 * MIB, seed=8)
    with open(src, 'rb') as handle:
        swift.put_object(container, 'data.bin', handle)
    dest = tmp_path / 'out.bin'
    rule = proxy.add_rule(
        'reset_response', method='GET', path=object_path(container, 'data.bin'), count=1, after=MIB + 17
    )
    result = ok(
        run_module('archive_object', dict(container=container, name='data.bin', state='downloaded', dest=str(dest)))
    )
    assert result['changed']
    cut(proxy, rule)
    assert md5_file(dest) == md5_file(src)


def test_reset_mid_response_body_slo(run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'data.bin', 3 * MIB + 5, seed=9)
    ok(run_module('archive_slo', slo_args(container, 'data.bin', src)))
    proxy.clear()
    dest = tmp_path / 'out.bin'
    # The first segment's GET: the segments are fetched in parallel, and the last one (5
    # bytes, shorter than the cut) may be the first to reach the proxy on a loaded machine.
    rule = proxy.add_rule(
        'reset_response',
        method='GET',
        path=segment_path(container, 'data.bin') + r'.*/00000000(\?|$)',
        count=1,
        after=300 * 1024,
    )
    result = ok(
        run_module('archive_object', dict(container=container, name='data.bin', state='downloaded', dest=str(dest)))
    )
    assert result['changed']
    cut(proxy, rule)
    assert md5_file(dest) == md5_file(src)


def test_reset_mid_listing_response(run_module, proxy, swift, container, tmp_path):
    # Not a download: swiftclient reads a listing in one piece and does not retry a body
    # broken half-way (urllib3 ProtocolError); the module has to.
    src = make_file(tmp_path / 'data.bin', 2 * MIB, seed=10)
    ok(run_module('archive_slo', slo_args(container, 'data.bin', src)))
    src.write_bytes(src.read_bytes()[::-1])
    proxy.clear()
    rule = proxy.add_rule('reset_response', method='GET', path=r'_segments\?', count=1, after=0)
    result = ok(run_module('archive_slo', slo_args(container, 'data.bin', src)))
    assert result['changed']
    cut(proxy, rule)
    assert_object_is(swift, container, 'data.bin', src)


# --- b. persistent server errors -------------------------------------------------------


@pytest.mark.parametrize('module', ['archive_object', 'archive_slo'])
def test_persistent_503(module, run_module, proxy, container, tmp_path):
    src = make_file(tmp_path / 'data.bin', 2 * MIB, seed=503)
    if module == 'archive_object':
        args = dict(container=container, name='data.bin', src=str(src), retries=1)
        path, operation = object_path(container, 'data.bin'), 'PUT object'
    else:
        args = slo_args(container, 'data.bin', src, retries=1, threads=1)
        path, operation = segment_path(container, 'data.bin'), 'PUT segment'
    rule = proxy.add_rule('status', method='PUT', path=path, code=503)
    msg = failed(run_module(module, args))
    # retries=1: two attempts (of each segment already started when the first one failed).
    assert rule.fired == 2 if module == 'archive_object' else rule.fired >= 2, rule
    assert operation in msg and 'data.bin' in msg and 'HTTP 503' in msg, msg


# --- c. broken and corrupted downloads --------------------------------------------------


@pytest.mark.parametrize('fault', ['reset', 'flip'])
def test_download_always_broken(fault, run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'data.bin', 2 * MIB, seed=11)
    with open(src, 'rb') as handle:
        swift.put_object(container, 'data.bin', handle)
    dest_dir = tmp_path / 'restore'
    dest_dir.mkdir()
    dest = dest_dir / 'data.bin'
    dest.write_bytes(b'the old bytes\n')
    path = object_path(container, 'data.bin')
    if fault == 'reset':
        rule = proxy.add_rule('reset_response', method='GET', path=path, after=256 * 1024)
    else:
        rule = proxy.add_rule('flip_response', method='GET', path=path, offset=1000)
    msg = failed(
        run_module(
            'archive_object', dict(container=container, name='data.bin', state='downloaded', dest=str(dest), retries=1)
        )
    )
    if fault == 'reset':
        cut(proxy, rule)
    fired(rule)
    assert dest.read_bytes() == b'the old bytes\n'
    assert sorted(os.listdir(dest_dir)) == ['data.bin'], 'left behind: %s' % os.listdir(dest_dir)
    assert 'download' in msg and str(dest) in msg, msg
    if fault == 'flip':
        assert 'md5' in msg, msg


def test_download_corrupted_once_is_retried(run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'data.bin', 2 * MIB, seed=12)
    with open(src, 'rb') as handle:
        swift.put_object(container, 'data.bin', handle)
    dest = tmp_path / 'out.bin'
    path = object_path(container, 'data.bin')
    rule = proxy.add_rule('flip_response', method='GET', path=path, count=1, offset=MIB)
    result = run_module(
        'archive_object', dict(container=container, name='data.bin', state='downloaded', dest=str(dest))
    )
    assert rule.fired == 1
    assert ok(result)['changed'], 'a download whose md5 fails must be retried once'
    assert md5_file(dest) == md5_file(src)
    assert len([r for r in proxy.find('GET', path) if r['status'] == 200]) == 2


def test_dlo_segment_replaced_while_downloading(run_module, proxy, swift, container, tmp_path):
    """A DLO as the swift CLI 3.x writes it (segments under a prefix, a zero-byte manifest).
    While its download waits for the second segment, another upload replaces that segment:
    the download fails naming the object, and dest keeps its last good copy."""
    segments = container + '_segments'
    swift.put_container(segments)
    for index in range(3):
        swift.put_object(segments, 'db.dump/%08d' % index, bytes([65 + index]) * MIB)
    swift.put_object(container, 'db.dump', b'', headers={'X-Object-Manifest': '%s/db.dump/' % segments})
    dest = tmp_path / 'db.dump'
    dest.write_bytes(b'the last good copy')
    replaced = []
    second = r'^/v1/AUTH_[^/]+/%s/db\.dump/00000001$' % re.escape(segments)
    rule = proxy.add_rule('hold', method='GET', path=second, count=1, until=lambda: bool(replaced))
    running = run_module.start(
        'archive_object', dict(container=container, name='db.dump', state='downloaded', dest=str(dest), threads=1)
    )
    wait_for(lambda: rule.fired, 60, 'the GET of the second segment')
    swift.put_object(segments, 'db.dump/00000001', b'another upload of one segment')
    replaced.append(True)
    msg = failed(running.wait(120))
    held(proxy, rule)
    assert "object 'db.dump'" in msg and 'left as it was' in msg and 'changed while it was read' in msg, msg
    assert dest.read_bytes() == b'the last good copy'
    assert sorted(os.listdir(str(tmp_path))) == ['db.dump'], 'a temp file was left'


# --- d. kill -9 in the middle of an SLO upload -------------------------------------------


def test_sigkill_mid_slo_upload(run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'big.bin', 24 * MIB, seed=99)
    segs = segment_path(container, 'big.bin')
    # Five segment PUTs go through, every later one is never answered: the run cannot finish
    # (nor store more) before the kill, however fast or slow the machine.
    hole = proxy.add_rule('blackhole', method='PUT', path=segs, skip=5)
    running = run_module.start('archive_slo', slo_args(container, 'big.bin', src))

    def stored():
        return [r for r in proxy.find('PUT', segs) if r['status'] == 201]

    wait_for(lambda: len(stored()) >= 5 and hole.fired, 60, '5 segment PUTs stored and a 6th held')
    running.kill()
    killed = running.wait(30)
    assert killed.rc == -9, killed
    # The blackholed requests end when the dead client's connections close.
    proxy.wait_idle()
    assert len(stored()) == 5, 'segments stored: %d' % len(stored())
    proxy.clear()
    result = ok(run_module('archive_slo', slo_args(container, 'big.bin', src)))
    assert result['changed'] and result['segments_reused'] == 5 and result['segments_uploaded'] == 19, result
    assert_object_is(swift, container, 'big.bin', src)
    assert_only_live_segments(swift, container, 'big.bin')


def part_files(root):
    """Relative paths of the ``.part`` files under ``root``."""
    return sorted(
        os.path.relpath(os.path.join(top, name), str(root)).replace(os.sep, '/')
        for top, _dirs, names in os.walk(str(root))
        for name in names
        if name.endswith('.part')
    )


# A stalled answer lasts until the proxy stops (the end of the test) and the module waits as
# long: the kill always comes while the download is stalled, whatever the machine's speed.
STALL = 600


def kill_when_half_written(running, stall, root):
    """kill -9 the run once the stalled GET's temp file under ``root`` holds 1 MiB; its
    ``.part`` files then."""
    wait_for(
        lambda: stall.fired and [t for t in part_files(root) if os.path.getsize(os.path.join(str(root), t)) >= MIB],
        60,
        'a temp file holding 1 MiB',
    )
    running.kill()
    assert running.wait(30).rc == -9
    return part_files(root)


def test_sigkill_mid_download(run_module, proxy, swift, container, tmp_path):
    """kill -9 while archive_object downloads: dest is absent, not partial; the re-run
    removes the temp file the killed run left beside it and downloads byte-exact."""
    src = make_file(tmp_path / 'data.bin', 3 * MIB, seed=80)
    with open(src, 'rb') as handle:
        swift.put_object(container, 'data.bin', handle)
    data = object_path(container, 'data.bin')
    stall = proxy.add_rule('stall_response', method='GET', path=data, after=MIB, seconds=STALL)
    out = tmp_path / 'out'
    out.mkdir()
    args = dict(container=container, name='data.bin', state='downloaded', dest=str(out / 'data.bin'), timeout=STALL)
    left = kill_when_half_written(run_module.start('archive_object', args), stall, out)
    assert len(left) == 1 and re.match(r'^\.data\.bin\.[0-9a-f]{8}\.part$', left[0]), left
    assert not (out / 'data.bin').exists()
    proxy.clear()
    result = ok(run_module('archive_object', args))
    assert result['temps_removed'] == left and result['changed'], result
    assert part_files(out) == [] and md5_file(out / 'data.bin') == md5_file(src)


def test_sigkill_mid_restore(run_module, proxy, swift, container, tmp_path):
    """kill -9 while archive_sync restores a tree: every file under its own name is whole,
    the killed run's temp file is the only trace, and the next run removes it (reporting it)
    and completes the tree byte-exact."""
    src = tmp_path / 'src'
    (src / 'sub').mkdir(parents=True)
    for index, rel in enumerate(('a.bin', 'sub/b.bin', 'sub/c.bin')):
        with open(make_file(src / rel, 2 * MIB, seed=70 + index), 'rb') as handle:
            swift.put_object(container, 'r/' + rel, handle)
    stall = proxy.add_rule(
        'stall_response', method='GET', path=object_path(container, 'r/sub/b.bin'), after=MIB, seconds=STALL
    )
    dest = tmp_path / 'dest'
    args = dict(container=container, prefix='r/', path=str(dest), mode='download', threads=1, timeout=STALL)
    left = kill_when_half_written(run_module.start('archive_sync', args), stall, dest)
    assert len(left) == 1 and re.match(r'^sub/\.b\.bin\.[0-9a-f]{8}\.part$', left[0]), left
    assert not (dest / 'sub' / 'b.bin').exists()
    for rel in ('a.bin', 'sub/c.bin'):
        assert not (dest / rel).exists() or md5_file(dest / rel) == md5_file(src / rel), rel
    proxy.clear()
    result = ok(run_module('archive_sync', args))
    assert result['temps_removed'] == left and result['changed'], result
    assert part_files(dest) == []
    for rel in ('a.bin', 'sub/b.bin', 'sub/c.bin'):
        assert md5_file(dest / rel) == md5_file(src / rel), rel
    again = ok(run_module('archive_sync', args))
    assert not again['changed'] and again['temps_removed'] == []


# --- e, f. Keystone or Swift unreachable: bounded failure ---------------------------------


def test_keystone_down(run_module, proxy, container):
    proxy.set_upstream('keystone', '127.0.0.1', closed_port())
    result = run_module('archive_object', dict(container=container, name='x', content='x'), timeout=120)
    msg = failed(result)
    assert result.seconds < 40, 'took %.1f s' % result.seconds
    assert 'auth_url' in msg or 'Keystone' in msg, msg
    assert proxy.keystone_requests(), 'no Keystone request reached the proxy'
    assert proxy.swift_requests() == []


def test_keystone_blackholed(run_module, proxy, container):
    rule = proxy.add_rule('blackhole', upstream='keystone')
    result = run_module('archive_object', dict(container=container, name='x', content='x', deadline=10), timeout=90)
    assert not result.timed_out, 'still running after %.0f s' % result.seconds
    msg = failed(result)
    fired(rule)
    assert result.seconds < 40, 'took %.1f s' % result.seconds
    assert any(word in msg for word in ('auth_url', 'Keystone', 'deadline')), msg
    assert proxy.swift_requests() == []


def test_swift_blackholed(run_module, proxy, container):
    rule = proxy.add_rule('blackhole', upstream='swift')
    result = run_module(
        'archive_object', dict(container=container, name='x', content='x', deadline=10, timeout=60), timeout=90
    )
    assert not result.timed_out, 'still running after %.0f s' % result.seconds
    msg = failed(result)
    fired(rule)
    assert result.seconds < 40, 'took %.1f s' % result.seconds
    assert 'deadline' in msg, msg


# --- g. concurrent writers of one object ------------------------------------------------


def start_writer(run_module, proxy, lab, container, src, **extra):
    return run_module.start(
        'archive_slo', slo_args(container, 'shared.bin', src, **extra), auth=auth_options(proxy, lab)
    )


def manifest_done(proxy):
    """End time of the (last) successful manifest PUT through ``proxy``, or None."""
    ends = [r['ended'] for r in proxy.find('PUT', MANIFEST_PUT) if r['status'] == 201 and r['ended']]
    return max(ends) if ends else None


def exited(runs, label):
    """A callable: whether the run ``runs[label]`` (started later) has exited."""
    return lambda: label in runs and runs[label].proc.poll() is not None


def held(proxy, rule, at_least=1):
    """The requests ``rule`` held; each was released because its condition was met."""
    hits = proxy.hits(rule)
    assert len(hits) >= at_least, 'held %d request(s), expected at least %d: %r' % (len(hits), at_least, rule)
    assert all(h.get('held') == 'met' for h in hits), 'released before the condition was met: %r' % hits
    return hits


def check_writers(swift, container, writers):
    """``writers``: [(label, src, proxy, result)]. The object is one whole file; its writer
    says it succeeded; a loser that says it succeeded had its manifest in place earlier."""
    live = md5_object(swift, container, 'shared.bin')
    winners = [w for w in writers if md5_file(w[1]) == live]
    assert len(winners) == 1, 'the object (md5 %s) is none of the files written' % live
    win_label, _src, win_proxy, win_result = winners[0]
    assert not win_result.failed, 'writer %s won but reported: %s' % (win_label, win_result.msg)
    live_etag = swift.head_object(container, 'shared.bin')['etag'].strip('"')
    assert win_result.json['object']['etag'] == live_etag
    for label, _src, lose_proxy, result in writers:
        if label == win_label:
            continue
        if result.failed:
            failed(result)
            continue
        done, win_done = manifest_done(lose_proxy), manifest_done(win_proxy)
        assert done is not None and done < win_done, (
            'writer %s reported success but its manifest did not precede the winner\'s' % label
        )


# The 20 orders of two writers' three steps. A step starts with one request, held at the
# proxy until every earlier step of the other writer is done:
#   read      the X-Newest HEAD of the object after the last segment (what the PUT replaces)
#   manifest  the manifest PUT, and the read-back that follows it
#   clean-up  whatever the run sends to the segment container after that (listing, marker,
#             last read, deletes)
# A step is done when the writer's next step has begun (its first request arrived) or the
# writer exited.
STEPS = ('read', 'manifest', 'cleanup')
ORDERS = [''.join('A' if i in picks else 'B' for i in range(6)) for picks in itertools.combinations(range(6), 3)]


def in_window(order):
    """Whether ``order`` puts the later manifest's read before the earlier manifest's PUT:
    the later writer then replaces a manifest it never read, and the earlier one's segments
    are nobody's to delete (docs/design.md, "Concurrent writers")."""
    steps = {}
    for index, writer in enumerate(order):
        steps[(writer, STEPS[sum(1 for w in order[:index] if w == writer)])] = index
    first, last = sorted('AB', key=lambda w: steps[(w, 'manifest')])
    return steps[(last, 'read')] < steps[(first, 'manifest')]


class Writer:
    """One archive_slo run through its own proxy, its steps held by rules."""

    def __init__(self, label, proxy, container, src, segments):
        self.label, self.proxy, self.src, self.segments = label, proxy, src, segments
        self.run = None
        self.seg_path = segment_path(container, 'shared.bin')
        self.obj_path = object_path(container, 'shared.bin')
        self.rules = {}

    def stored_all(self):
        return len([r for r in self.proxy.find('PUT', self.seg_path) if r['status'] == 201]) >= self.segments

    def manifest_answered(self):
        return any(r['status'] for r in self.proxy.find('PUT', MANIFEST_PUT))

    def exited(self):
        return self.run is not None and self.run.proc.poll() is not None

    def begun(self, step):
        return bool(self.proxy.hits(self.rules[step]))

    def done(self, step):
        following = STEPS.index(step) + 1
        return self.exited() or (following < len(STEPS) and self.begun(STEPS[following]))

    def hold(self, steps_before):
        """Add the three rules; ``steps_before[step]``: the other writer's steps that must be
        done before this one's ``step`` begins."""
        starts = {
            'read': dict(method='HEAD', path=self.obj_path, when=self.stored_all),
            'manifest': dict(method='PUT', path=MANIFEST_PUT),
            'cleanup': dict(path=r'_segments(/|\?|$)|bulk-delete', when=self.manifest_answered),
        }
        for step in STEPS:
            waits = steps_before[step]
            self.rules[step] = self.proxy.add_rule(
                'hold', count=1, until=lambda waits=waits: all(w.done(s) for w, s in waits), **starts[step]
            )


@pytest.mark.parametrize('order', ORDERS)
def test_concurrent_writers(order, run_module, make_proxy, lab, swift, container, tmp_path):
    writers = {
        'A': Writer('A', make_proxy(), container, make_file(tmp_path / 'a.bin', 2 * MIB, seed=1), 2),
        'B': Writer('B', make_proxy(), container, make_file(tmp_path / 'b.bin', 3 * MIB, seed=2), 3),
    }
    seen = {'A': 0, 'B': 0}
    before = {'A': {}, 'B': {}}
    earlier = []
    for label in order:
        step = STEPS[seen[label]]
        seen[label] += 1
        other = writers['B' if label == 'A' else 'A']
        before[label][step] = [(other, s) for (w, s) in earlier if w is other]
        earlier.append((writers[label], step))
    for label, writer in writers.items():
        writer.hold(before[label])
    for writer in writers.values():
        writer.run = start_writer(run_module, writer.proxy, lab, container, writer.src)
    results = {label: w.run.wait(180) for label, w in writers.items()}
    for label, writer in writers.items():
        for step in STEPS:
            hits = writer.proxy.hits(writer.rules[step])
            assert len(hits) == 1 and hits[0].get('held') == 'met', 'writer %s, step %s: %r' % (label, step, hits)
        ok(results[label])
    # The last manifest PUT is live, its writer's file the object.
    first, last = sorted('AB', key=lambda w: manifest_done(writers[w].proxy))
    assert_object_is(swift, container, 'shared.bin', writers[last].src)
    check_writers(swift, container, [(w, writers[w].src, writers[w].proxy, results[w]) for w in 'AB'])
    live = manifest_of(swift, container, 'shared.bin')
    left = set(all_segments(swift, container)) - set(live)
    assert not left, 'order %s: segments nobody references: %s' % (order, sorted(left))
    # At most the live version's written marker is left (it expires in a day).
    assert set(written_markers(swift, container)) <= {live[0].rsplit('/', 1)[0] + '/written'}
    if in_window(order):
        # The later writer read before the earlier one's manifest PUT, so only the earlier
        # one's marker (written because it saw the later one's segments) told the later one
        # that those segments were a finished version.
        marker_puts = writers[first].proxy.find('PUT', r'_segments/shared\.bin/slo/.*/written$')
        assert [r['status'] for r in marker_puts] == [201], 'order %s: %r' % (order, marker_puts)


def test_writer_finishing_first_keeps_slow_writers_segments(
    run_module, proxy, make_proxy, lab, swift, container, tmp_path
):
    proxy_a, proxy_b = proxy, make_proxy()
    file_a = make_file(tmp_path / 'a.bin', 6 * MIB, seed=4)
    file_b = make_file(tmp_path / 'b.bin', 7 * MIB, seed=5)
    segs = segment_path(container, 'shared.bin')
    runs = {}
    # A (one segment at a time) stores two segments; its third waits until B has finished.
    wait = proxy_a.add_rule('hold', method='PUT', path=segs, skip=2, until=exited(runs, 'B'))
    runs['A'] = start_writer(run_module, proxy_a, lab, container, file_a, threads=1)
    wait_for(lambda: wait.fired, 60, "A's third segment PUT")
    runs['B'] = start_writer(run_module, proxy_b, lab, container, file_b)
    result_b = runs['B'].wait(120)
    result_a = runs['A'].wait(120)
    # B finished while A was in the middle of its upload (its third segment held until then).
    held(proxy_a, wait)
    assert len([r for r in proxy_a.find('PUT', segs) if r['status'] == 201]) == 6
    ok(result_b)
    assert ok(result_a)['changed'], "B's clean-up broke A's upload"
    assert_object_is(swift, container, 'shared.bin', file_a)
    check_writers(swift, container, [('A', file_a, proxy_a, result_a), ('B', file_b, proxy_b, result_b)])
    # A read B's manifest just before its own PUT: B's segments went in A's clean-up.
    assert_only_live_segments(swift, container, 'shared.bin')


# --- h. on_failure ------------------------------------------------------------------------


def segment_claims(msg):
    return [int(n) for n in re.findall(r'(\d+) (?:SLO )?segment', msg)]


def test_on_failure_delete_after_manifest_503(run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'data.bin', 4 * MIB, seed=21)
    rule = proxy.add_rule('status', method='PUT', path=MANIFEST_PUT, code=503)
    msg = failed(run_module('archive_slo', slo_args(container, 'data.bin', src, retries=0, on_failure='delete')))
    assert rule.fired == 1
    uploaded = len([r for r in proxy.find('PUT', segment_path(container, 'data.bin')) if r['status'] == 201])
    assert uploaded == 4
    assert segments_in(swift, container, 'data.bin') == []
    claims = segment_claims(msg)
    assert uploaded in claims and max(claims) <= uploaded, 'the message must say the %d segments were deleted: %s' % (
        uploaded,
        msg,
    )
    assert 'manifest' in msg and 'HTTP 503' in msg, msg


@pytest.mark.parametrize('fault', ['answer_lost', 'body_flipped'])
def test_on_failure_delete_after_bad_segment(fault, run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'data.bin', 4 * MIB, seed=22)
    segs = segment_path(container, 'data.bin')
    if fault == 'answer_lost':
        rule = proxy.add_rule('lose_response', method='PUT', path=segs, skip=1, count=1)
    else:
        rule = proxy.add_rule('flip_request', method='PUT', path=segs, skip=1, count=1, offset=100)
    msg = failed(
        run_module('archive_slo', slo_args(container, 'data.bin', src, retries=0, threads=2, on_failure='delete'))
    )
    assert rule.fired == 1
    hit = proxy.hits(rule)[0]
    assert hit['upstream_status'] == 201, 'Swift did not store the segment: %r' % hit
    if fault == 'body_flipped':
        assert 'md5' in msg, msg
    assert segments_in(swift, container, 'data.bin') == [], 'segments left after on_failure=delete'
    with pytest.raises(ClientException) as info:
        swift.head_object(container, 'data.bin')
    assert info.value.http_status == 404


def test_on_failure_keep_resumes(run_module, proxy, swift, container, tmp_path):
    src = make_file(tmp_path / 'data.bin', 4 * MIB, seed=23)
    segs = segment_path(container, 'data.bin')
    rule = proxy.add_rule('status', method='PUT', path=segs, skip=2, code=503)
    msg = failed(
        run_module('archive_slo', slo_args(container, 'data.bin', src, retries=0, threads=1, on_failure='keep'))
    )
    fired(rule)
    stored = len([r for r in proxy.find('PUT', segs) if r['status'] == 201])
    assert stored == 2 and len(segments_in(swift, container, 'data.bin')) == stored
    assert stored in segment_claims(msg), msg
    proxy.clear()
    result = ok(run_module('archive_slo', slo_args(container, 'data.bin', src)))
    assert result['segments_reused'] == stored and result['segments_uploaded'] == 4 - stored
    assert_object_is(swift, container, 'data.bin', src)
    assert_only_live_segments(swift, container, 'data.bin')


# --- i. the archive_upload role through faults --------------------------------------------

ROLE_PLAY = """\
- name: Upload a tree through the fault proxy
  hosts: localhost
  gather_facts: false
%(defaults)s  tasks:
    - name: Upload
      ansible.builtin.include_role:
        name: ncloud.archive.archive_upload
      vars: %(vars)s
"""


def make_tree(root):
    (root / 'sub' / 'deeper').mkdir(parents=True)
    (root / 'empty').mkdir()
    files = {'a.txt': 10, 'sub/b.bin': 100 * 1024, 'sub/deeper/c.txt': 1, 'big.bin': 3 * MIB + 9}
    for index, (name, size) in enumerate(sorted(files.items())):
        make_file(root / name, size, seed=100 + index)
    return sorted(files), ['empty/', 'sub/', 'sub/deeper/']


def test_role_tree_through_faults(run_playbook, proxy, auth, swift, container, tmp_path):
    root = tmp_path / 'tree'
    files, markers = make_tree(root)
    role_vars = dict(
        archive_upload_src=str(root),
        archive_upload_container=container,
        archive_upload_slo_threshold=2 * MIB,
        archive_upload_segment_size=MIB,
    )
    play = ROLE_PLAY % {'defaults': auth_defaults_yaml(auth), 'vars': json.dumps(role_vars)}
    object_put = r'^/v1/AUTH_[^/]+/%s/' % re.escape(container)
    rules = [
        proxy.add_rule('status', method='PUT', path=object_put, count=2, code=503),
        proxy.add_rule(
            'reset_request', method='PUT', path=segment_path(container, 'big.bin'), count=1, after=100 * 1024
        ),
        proxy.add_rule('status', method='GET', path=r'^/v1/AUTH_[^/]+/%s\?' % re.escape(container), count=1, code=503),
        proxy.add_rule('lose_response', method='PUT', path=object_put + r'sub/$', count=1),
    ]
    first = run_playbook(play)
    assert first.rc == 0, first.output[-4000:]
    for rule in rules:
        fired(rule)
    listing = swift.get_container(container, full_listing=True)[1]
    assert sorted(e['name'] for e in listing) == sorted(files + markers)
    for entry in listing:
        if entry['name'] in markers:
            assert entry['bytes'] == 0 and entry['content_type'].startswith('application/directory')
        else:
            assert md5_object(swift, container, entry['name']) == md5_file(root / entry['name'])
    assert swift.head_object(container, 'big.bin').get('x-static-large-object') == 'True'
    assert_only_live_segments(swift, container, 'big.bin')

    proxy.clear()
    second = run_playbook(play)
    assert second.rc == 0, second.output[-4000:]
    assert re.search(r'localhost\s*:\s*ok=\d+\s+changed=0\b', second.stdout), second.stdout[-2000:]
    assert proxy.writes() == []


# --- j. secrets never shown ---------------------------------------------------------------

SECRETS_PLAY = """\
- name: Every module at -vvv through the proxy
  hosts: localhost
  gather_facts: false
%(defaults)s  tasks:
    - ncloud.archive.archive_container:
        name: %(container)s
    - ncloud.archive.archive_object:
        container: %(container)s
        name: note.txt
        content: "hello\\n"
    - ncloud.archive.archive_object:
        container: %(container)s
        name: note.txt
        state: downloaded
        dest: %(dest)s
    - ncloud.archive.archive_slo:
        container: %(container)s
        name: big.bin
        src: %(big)s
        segment_size: 1MB
    - ncloud.archive.archive_info:
        container: %(container)s
"""

REFUSED_PLAY = """\
- name: Credentials in auth_url, at -vvv
  hosts: localhost
  gather_facts: false
%(defaults)s  tasks:
    - ncloud.archive.archive_info:
        container: %(container)s
        auth_url: %(bad_url)s
      ignore_errors: true
      register: refused
    - ansible.builtin.assert:
        that: refused is failed and 'auth_url' in refused.msg
"""

CANARY = 'CANARY-u5er-pa55-7f3a9c'


def url_with_canary(proxy):
    return proxy.auth_url.replace('http://', 'http://ncuser:%s@' % CANARY)


def test_secrets_not_shown_at_vvv(run_playbook, run_module, proxy, auth, lab, container, tmp_path):
    big = make_file(tmp_path / 'big.bin', 2 * MIB + 1, seed=31)
    play = SECRETS_PLAY % {
        'defaults': auth_defaults_yaml(auth),
        'container': container,
        'dest': tmp_path / 'note.out',
        'big': big,
    }
    result = run_playbook(play, verbosity=3)
    assert result.rc == 0, result.output[-4000:]
    direct = [
        run_module(
            'archive_object', dict(container=container, name='note.txt', state='downloaded', dest=str(tmp_path / 'n2'))
        ),
        run_module('archive_info', dict(container=container), diff=True),
        run_module('archive_slo', dict(container=container, name='big.bin', state='absent')),
    ]
    for each in direct:
        ok(each)
    # A failure keeps its cause (the traceback in 'exception'): scrubbed too.
    proxy.add_rule('status', method='HEAD', path=object_path(container, 'note.txt'), code=503)
    # (ansible-core 2.19 includes it when the controller asks, as with DISPLAY_TRACEBACK=error.)
    broken = run_module(
        'archive_object',
        dict(container=container, name='note.txt', state='absent', retries=0, _ansible_tracebacks_for=['error']),
    )
    failed(broken)
    assert 'ClientException' in broken.json.get('exception', ''), broken.output[-3000:]
    tokens = proxy.tokens()
    assert tokens, 'the proxy saw no token: the check would prove nothing'
    canaries = [lab['password'], CANARY] + tokens
    for label, text in [('playbook', result.output)] + [('module', r.output) for r in direct + [broken]]:
        shown = [c[:12] + '...' for c in canaries if c in text]
        assert not shown, '%s output shows secrets: %s' % (label, shown)


def test_auth_url_with_credentials_refused(run_module, run_playbook, proxy, auth, container):
    result = run_module('archive_info', dict(container=container), auth=dict(auth, auth_url=url_with_canary(proxy)))
    msg = failed(result)
    assert 'auth_url' in msg, msg
    assert CANARY not in result.output, 'the password in auth_url was shown'
    assert CANARY not in json.dumps(result.json), 'the password is in the result (module_args?)'
    assert proxy.swift_requests() == []
    play = REFUSED_PLAY % {
        'defaults': auth_defaults_yaml(auth),
        'container': container,
        'bad_url': url_with_canary(proxy),
    }
    played = run_playbook(play, verbosity=3)
    assert played.rc == 0, played.output[-4000:]
    assert CANARY not in played.output, 'the password in auth_url was shown at -vvv'


# --- k. connections: a run reuses them (each new one is a handshake: round trips) ---------


def swift_connections(proxy):
    """The client connections that sent Swift requests."""
    return {r['connection'] for r in proxy.swift_requests()}


def test_a_run_reuses_its_connections_across_pools_and_long_requests(run_module, proxy, container, tmp_path):
    """archive_sync's upload sends /info and the listing on one connection, three bulk
    archives (requests that renew the token first), the directory markers and a file of its
    own on the two threads' connections, and the restore its GETs on them too: at most
    ``threads`` + 1 connections to Swift a run, and one to Keystone. (Each pool opened new
    connections before, and each bulk archive one more: 7 for this upload.)"""
    src = tmp_path / 'src'
    for index in range(3):
        (src / ('d%d' % index)).mkdir(parents=True)
    for index in range(12):
        make_file(src / ('d%d' % (index % 3)) / ('f%02d.bin' % index), 512 * 1024, seed=300 + index)
    make_file(src / 'd0' / 'caf\u00e9.bin', 1000, seed=299)  # not ASCII: a PUT of its own
    args = dict(container=container, prefix='t/', path=str(src), mode='upload', threads=2, max_threads=2)
    result = ok(run_module('archive_sync', args))
    assert result['summary']['uploaded'] == 13 and result['summary']['markers'] == 4, result['summary']
    archives = proxy.find(method='PUT', path=r'extract-archive=tar')
    assert len(archives) >= 3, 'fewer bulk archives than the test needs: %d' % len(archives)
    assert len(swift_connections(proxy)) <= 3, sorted(
        (r['connection'], r['method'], r['target']) for r in proxy.swift_requests()
    )
    assert len({r['connection'] for r in proxy.keystone_requests()}) == 1
    proxy.clear()
    noop = ok(run_module('archive_sync', args))
    assert not noop['changed']
    assert len(swift_connections(proxy)) == 1, [(r['connection'], r['target']) for r in proxy.swift_requests()]
    proxy.clear()
    dest = tmp_path / 'dest'
    restore = ok(run_module('archive_sync', dict(args, mode='download', path=str(dest))))
    assert restore['summary']['downloaded'] == 13, restore['summary']
    assert len(proxy.find(method='GET', path=r'/t/d')) == 13
    assert len(swift_connections(proxy)) <= 3
    for path in src.rglob('*.bin'):
        assert md5_file(dest / path.relative_to(src)) == md5_file(path), path
