# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalogue of bad inputs: every one must be refused with a clear message and no write.

Each case runs one module (or the archive_upload role) through the fault proxy against the lab
and asserts that the task failed, that the message names the offending option (and a word of
the fix where the module gives one), that nothing printed a Python traceback, and that the
proxy saw no write request. Inputs the modules check locally also must not send any Swift
request at all.

A case is ``Case(id, args, option, hints, early)``:

- ``args``: module arguments; the strings ``{container}``, ``{file}``, ``{empty}``, ``{dir}``,
  ``{link}``, ``{missing}``, ``{out}``, ``{noparent}`` and ``{tree}`` are replaced by the
  test's container and paths (see the ``paths`` fixture).
- ``option``: the option the message must name (a tuple: any of them).
- ``hints``: words of the message (case-insensitive); a tuple inside means any of them.
- ``early``: refused before any Swift request (no Swift request at the proxy at all).
"""

from __future__ import annotations

import collections
import json
import os
import re

import pytest

pytestmark = pytest.mark.bad_input

Case = collections.namedtuple('Case', 'id args option hints early')


def case(id_, args, option, hints=(), early=True):
    return pytest.param(Case(id_, args, option, tuple(hints), early), id=id_)


# Names with a '.' or '..' path segment: requests/urllib3 resolve them before sending, so
# 'c/../victim' would reach the container 'victim'. Refused before any request.
DOT_NAMES = [
    ('parent', '../victim'),
    ('parent-twice', 'a/../../b'),
    ('leading-dot', './x'),
    ('trailing-dot', 'x/.'),
    ('dotdot', '..'),
    ('dot', '.'),
    ('inner-dot', 'a/./b'),
]
# Any of these words in the message says what is wrong with the name.
DOT_HINT = (("'.'", "'..'", 'dot', 'segment'),)
# Containers that the old code reaches (and creates) through '../victim', 'a/../../b', the
# role's prefix '../' and its container '' (segments '_segments'): deleted after a case that
# created them.
TRAVERSAL_TARGETS = ('victim', 'b', 'bad-input-a.txt', 'bad-input-sub', '_segments')

LONG_OBJECT_NAME = '\u00e9' * 513  # 513 characters, 1026 bytes of UTF-8
LONG_CONTAINER_NAME = 'c' * 257
TOO_MANY_KEYS = dict(('k%d' % i, 'v') for i in range(91))
SECRET = 'Pw-Secret-4711'  # the password put into auth_url


# --- archive_object ---------------------------------------------------------------------

OBJECT_CASES = (
    [
        case('present-content-%s' % slug, {'container': '{container}', 'name': name, 'content': 'x'}, 'name', DOT_HINT)
        for slug, name in DOT_NAMES
    ]
    + [
        case('absent-%s' % slug, {'container': '{container}', 'name': name, 'state': 'absent'}, 'name', DOT_HINT)
        for slug, name in DOT_NAMES
    ]
    + [
        case(
            'downloaded-%s' % slug,
            {'container': '{container}', 'name': name, 'state': 'downloaded', 'dest': '{out}'},
            'name',
            DOT_HINT,
        )
        for slug, name in DOT_NAMES
    ]
    + [
        case('container-dotdot', {'container': '..', 'name': 'x', 'content': 'x'}, 'container', DOT_HINT),
        case(
            'name-1026-bytes', {'container': '{container}', 'name': LONG_OBJECT_NAME, 'content': 'x'}, 'name', ['1024']
        ),
        case('name-nul', {'container': '{container}', 'name': 'a\x00b', 'content': 'x'}, 'name', ['NUL']),
        case(
            'metadata-underscore-key',
            {'container': '{container}', 'name': 'x', 'content': 'x', 'metadata': {'my_key': 'v'}},
            'metadata',
            ["'-'", 'my_key'],
        ),
        case(
            'metadata-dict-value',
            {'container': '{container}', 'name': 'x', 'content': 'x', 'metadata': {'owner': {'team': 'dba'}}},
            'metadata',
            ['string', 'owner'],
        ),
        case(
            'metadata-value-257-bytes',
            {'container': '{container}', 'name': 'x', 'content': 'x', 'metadata': {'note': 'v' * 257}},
            'metadata',
            ['256', 'note'],
        ),
        case(
            'metadata-91-keys',
            {'container': '{container}', 'name': 'x', 'content': 'x', 'metadata': TOO_MANY_KEYS},
            'metadata',
            ['90'],
        ),
        case('src-missing', {'container': '{container}', 'name': 'x', 'src': '{missing}'}, 'src', ['does not exist']),
        case(
            'src-directory',
            {'container': '{container}', 'name': 'x', 'src': '{dir}'},
            'src',
            ['regular file', 'archive_sync'],
        ),
        case(
            'delete-after-0',
            {'container': '{container}', 'name': 'x', 'content': 'x', 'delete_after': 0},
            'delete_after',
            ['positive'],
        ),
        case(
            'threads-0',
            {'container': '{container}', 'name': 'x', 'content': 'x', 'threads': 0},
            'threads',
            ['at least 1'],
        ),
        case(
            'dest-directory',
            {'container': '{container}', 'name': 'x', 'state': 'downloaded', 'dest': '{dir}'},
            'dest',
            ['directory'],
        ),
        case(
            'dest-parent-missing',
            {'container': '{container}', 'name': 'x', 'state': 'downloaded', 'dest': '{noparent}'},
            'dest',
            ['does not exist'],
        ),
        case(
            'dest-symlink',
            {'container': '{container}', 'name': 'x', 'state': 'downloaded', 'dest': '{link}'},
            'dest',
            ['symlink'],
        ),
        case(
            'content-type-newline',
            {
                'container': '{container}',
                'name': 'x',
                'content': 'x',
                'content_type': 'text/plain\r\nX-Object-Meta-Evil: 1',
            },
            'content_type',
            ['line breaks'],
        ),
        case(
            'delete-at-unreadable',
            {'container': '{container}', 'name': 'x', 'content': 'x', 'delete_at': 'next week'},
            'delete_at',
            ['ISO 8601', 'never'],
        ),
        case(
            'delete-at-and-after',
            {'container': '{container}', 'name': 'x', 'content': 'x', 'delete_at': 'never', 'delete_after': 60},
            'delete_at',
            ['mutually exclusive'],
        ),
    ]
)

# --- archive_slo ------------------------------------------------------------------------

SLO_CASES = (
    [
        case('present-%s' % slug, {'container': '{container}', 'name': name, 'src': '{file}'}, 'name', DOT_HINT)
        for slug, name in DOT_NAMES
    ]
    + [
        case('absent-%s' % slug, {'container': '{container}', 'name': name, 'state': 'absent'}, 'name', DOT_HINT)
        for slug, name in DOT_NAMES
    ]
    + [
        case(
            'segment-container-slash',
            {'container': '{container}', 'name': 'x', 'src': '{file}', 'segment_container': 'a/b'},
            'segment_container',
            ["'/'"],
        ),
        case(
            'name-1026-bytes', {'container': '{container}', 'name': LONG_OBJECT_NAME, 'src': '{file}'}, 'name', ['1024']
        ),
        case(
            'threads-0',
            {'container': '{container}', 'name': 'x', 'src': '{file}', 'threads': 0},
            'threads',
            ['at least 1'],
        ),
        # '0' is a size to human_to_bytes: checked against the server's minimum from /info.
        case(
            'segment-size-0',
            {'container': '{container}', 'name': 'x', 'src': '{file}', 'segment_size': '0'},
            'segment_size',
            ['at least'],
            early=False,
        ),
        case(
            'segment-size-abc',
            {'container': '{container}', 'name': 'x', 'src': '{file}', 'segment_size': 'abc'},
            'segment_size',
            ['not a size', '64MB'],
        ),
        case(
            'segment-size-negative',
            {'container': '{container}', 'name': 'x', 'src': '{file}', 'segment_size': '-1'},
            'segment_size',
            ['-1'],
        ),
        case(
            'src-empty', {'container': '{container}', 'name': 'x', 'src': '{empty}'}, 'src', ['empty', 'archive_object']
        ),
        case('src-directory', {'container': '{container}', 'name': 'x', 'src': '{dir}'}, 'src', ['regular file']),
        case('src-missing', {'container': '{container}', 'name': 'x', 'src': '{missing}'}, 'src', ['does not exist']),
        case(
            'metadata-mtime',
            {'container': '{container}', 'name': 'x', 'src': '{file}', 'metadata': {'mtime': 1}},
            'metadata',
            ['mtime', 'reserved'],
        ),
        case(
            'content-type-newline',
            {'container': '{container}', 'name': 'x', 'src': '{file}', 'content_type': 'a\nb'},
            'content_type',
            ['line breaks'],
        ),
        case(
            'stale-segment-age-negative',
            {'container': '{container}', 'name': 'x', 'src': '{file}', 'stale_segment_age': -1},
            'stale_segment_age',
            ['at least 0, not -1'],
        ),
        case(
            'delete-after-0',
            {'container': '{container}', 'name': 'x', 'src': '{file}', 'delete_after': 0},
            'delete_after',
            ['positive'],
        ),
        case(
            'delete-at-unreadable',
            {'container': '{container}', 'name': 'x', 'src': '{file}', 'delete_at': '31/12/2027'},
            'delete_at',
            ['ISO 8601'],
        ),
    ]
)

# --- archive_info -----------------------------------------------------------------------

INFO_CASES = [
    case('object-%s' % slug, {'container': '{container}', 'name': name}, 'name', DOT_HINT) for slug, name in DOT_NAMES
] + [
    case('container-dot', {'container': '.'}, 'container', DOT_HINT),
    case('container-nul', {'container': 'a\x00b'}, 'container', ['NUL']),
    case('limit-0', {'container': '{container}', 'limit': 0}, 'limit', ['positive']),
    case(
        'temp-url-seconds-0',
        {'container': '{container}', 'name': 'x', 'temp_url_seconds': 0},
        'temp_url_seconds',
        ['positive'],
    ),
    case('temp-url-without-name', {'container': '{container}', 'temp_url_seconds': 60}, 'temp_url_seconds', ['name']),
]

# --- archive_container ------------------------------------------------------------------

CONTAINER_CASES = [
    case('name-dot', {'name': '.'}, 'name', DOT_HINT),
    case('name-dotdot', {'name': '..'}, 'name', DOT_HINT),
    case('name-slash', {'name': 'a/b'}, 'name', ["'/'"]),
    case('name-empty', {'name': ''}, 'name', ['non-empty']),
    case('name-257-bytes', {'name': LONG_CONTAINER_NAME}, 'name', ['256']),
    case('name-nul', {'name': 'a\x00b'}, 'name', ['NUL']),
    case(
        'metadata-underscore-key', {'name': '{container}', 'metadata': {'my_key': 'v'}}, 'metadata', ["'-'", 'my_key']
    ),
    # Ansible's own argument check; not an option of the module.
    case('unknown-option-quota', {'name': '{container}', 'quota': 10}, 'quota', ['Unsupported parameters']),
    case(
        'read-acl-newline',
        {'name': '{container}', 'read_acl': '.r:*\nX-Container-Write: *'},
        'read_acl',
        ['line breaks'],
    ),
    case('quota-bytes-not-a-size', {'name': '{container}', 'quota_bytes': 'lots'}, 'quota_bytes', ['64MiB', '1GiB']),
    case('quota-bytes-negative', {'name': '{container}', 'quota_bytes': '-1'}, 'quota_bytes', ['is not a size']),
    case('quota-count-negative', {'name': '{container}', 'quota_count': -5}, 'quota_count', ['0 (no quota) or more']),
    case(
        'quota-through-metadata', {'name': '{container}', 'metadata': {'Quota-Bytes': 10}}, 'metadata', ['quota_bytes']
    ),
]

# --- options every module has (auth, retries, timeout, deadline) ------------------------

# 'deadline' must be an option of every module: Ansible's "Unsupported parameters" does not count.
KNOWN_OPTION = ('!Unsupported parameters',)

AUTH_CASES = (
    [
        case(
            'retries-negative',
            ('archive_info', {'container': '{container}', 'retries': -1}),
            'retries',
            [('>= 0', 'at least 0')],
        ),
        case(
            'timeout-0',
            ('archive_info', {'container': '{container}', 'timeout': 0}),
            'timeout',
            [('> 0', 'at least 1')],
        ),
    ]
    + [
        case('deadline-negative-%s' % module.split('_')[1], (module, dict(args, deadline=-5)), 'deadline', KNOWN_OPTION)
        for module, args in (
            ('archive_info', {'container': '{container}'}),
            ('archive_container', {'name': '{container}'}),
            ('archive_object', {'container': '{container}', 'name': 'x', 'content': 'x'}),
            ('archive_slo', {'container': '{container}', 'name': 'x', 'src': '{file}'}),
        )
    ]
    + [
        case(
            'secret-key-missing',
            ('archive_info', {'container': '{container}', 'secret_key': None}),
            'secret_key',
            ['NCLOUD_SECRET_KEY'],
        ),
        # Refused, and the password shows nowhere (not in msg, not in invocation).
        case(
            'auth-url-with-password',
            ('archive_info', {'container': '{container}', 'auth_url': '{auth_url_with_password}'}),
            'auth_url',
            [('access_key', 'secret_key', 'credential', 'user', 'password')],
            early=False,
        ),
        case(
            'auth-url-not-a-url',
            ('archive_info', {'container': '{container}', 'auth_url': 'not-a-url'}),
            'auth_url',
            [],
            early=False,
        ),
    ]
)

# --- archive_sync ------------------------------------------------------------------------

SYNC_CASES = [
    case('prefix-%s' % slug, {'container': '{container}', 'path': '{dir}', 'prefix': name}, 'prefix', DOT_HINT)
    for slug, name in DOT_NAMES
] + [
    case('container-dotdot', {'container': '..', 'path': '{dir}'}, 'container', DOT_HINT),
    case('threads-0', {'container': '{container}', 'path': '{dir}', 'threads': 0}, 'threads', ['at least 1']),
    case(
        'max-threads-0', {'container': '{container}', 'path': '{dir}', 'max_threads': 0}, 'max_threads', ['at least 1']
    ),
    case(
        'slo-threshold-0',
        {'container': '{container}', 'path': '{dir}', 'slo_threshold': 0},
        'slo_threshold',
        ['at least 1'],
    ),
    case(
        'segment-size-word',
        {'container': '{container}', 'path': '{dir}', 'segment_size': 'big'},
        'segment_size',
        ['not a size'],
    ),
    case('upload-path-missing', {'container': '{container}', 'path': '{missing}'}, 'path', ['does not exist']),
    case('upload-path-file', {'container': '{container}', 'path': '{file}'}, 'path', ['not a directory']),
    case(
        'download-path-file',
        {'container': '{container}', 'path': '{file}', 'mode': 'download'},
        'path',
        ['not a directory'],
    ),
    case(
        'download-path-noparent',
        {'container': '{container}', 'path': '{noparent}', 'mode': 'download'},
        'path',
        ['parent'],
    ),
    case(
        'metadata-mtime',
        {'container': '{container}', 'path': '{dir}', 'metadata': {'mtime': '1'}},
        'metadata',
        ['reserved'],
    ),
    case(
        'history-keeps-nothing',
        {'container': '{container}', 'path': '{dir}', 'history': {'keep': {'days': 0}}},
        'history',
        ['keeps no version', 'keep.days'],
    ),
    case(
        'history-keep-unknown',
        {'container': '{container}', 'path': '{dir}', 'history': {'keep': {'years': 2}}},
        'history.keep',
        ['years', 'days, weeks, months'],
    ),
    case(
        'history-keep-negative',
        {'container': '{container}', 'path': '{dir}', 'history': {'keep': {'days': -1}}},
        'history.keep.days',
        ['whole number'],
    ),
    case(
        'history-download',
        {'container': '{container}', 'path': '{dir}', 'mode': 'download', 'history': {'within': 60}},
        'history',
        ['mode=upload', 'as_of'],
    ),
    case(
        'history-container-dotdot',
        {'container': '{container}', 'path': '{dir}', 'history': {'within': 60}, 'history_container': '..'},
        'history_container',
        DOT_HINT,
    ),
    case(
        'as-of-upload',
        {'container': '{container}', 'path': '{dir}', 'as_of': '2026-12-01T00:00:00Z'},
        'as_of',
        ['mode=download'],
    ),
    case(
        'as-of-word',
        {'container': '{container}', 'path': '{dir}', 'mode': 'download', 'as_of': 'last tuesday'},
        'as_of',
        ['ISO 8601'],
    ),
]


# --- the archive_upload role ------------------------------------------------------------

ROLE_CASES = [
    case('threads-0', {'archive_upload_threads': 0}, 'archive_upload_threads'),
    case('max-threads-0', {'archive_upload_max_threads': 0}, 'archive_upload_max_threads'),
    case('slo-threshold-negative', {'archive_upload_slo_threshold': -1}, 'archive_upload_slo_threshold'),
    case('slo-threshold-0', {'archive_upload_slo_threshold': 0}, 'archive_upload_slo_threshold'),
    case('segment-size-0', {'archive_upload_segment_size': 0}, 'archive_upload_segment_size'),
    case(
        'slo-threshold-not-a-size',
        {'archive_upload_slo_threshold': '1 GiBB'},
        'archive_upload_slo_threshold',
        ['is not a size', '1GiB'],
    ),
    case('segment-size-not-a-size', {'archive_upload_segment_size': 'big'}, 'archive_upload_segment_size', ['64MiB']),
    case('prefix-parent', {'archive_upload_prefix': '../'}, 'archive_upload_prefix', DOT_HINT),
    case('prefix-inner-parent', {'archive_upload_prefix': 'a/../b/'}, 'archive_upload_prefix', DOT_HINT),
    case(
        'src-missing', {'archive_upload_src': '{missing}'}, 'archive_upload_src', ['not a directory or a regular file']
    ),
    # The module's message ('name: a container name must be a non-empty string') names the
    # container but not the role's variable: either is accepted.
    case('container-empty', {'archive_upload_container': ''}, ('archive_upload_container', 'container name')),
]

ROLE_PLAY = """\
- name: One bad input of the archive_upload role
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/ncloud.archive.archive: %(auth)s
  tasks:
    - name: Run the role
      ansible.builtin.include_role:
        name: ncloud.archive.archive_upload
      vars: %(vars)s
"""


# --- helpers ----------------------------------------------------------------------------


@pytest.fixture
def paths(request, tmp_path, auth):
    """The values of the placeholders of the cases; a container only for a case that names it
    (creating and deleting one costs more than most module runs)."""
    data = tmp_path / 'data.bin'
    data.write_bytes(os.urandom(4096))
    (tmp_path / 'empty.bin').write_bytes(b'')
    (tmp_path / 'dir').mkdir()
    (tmp_path / 'link.bin').symlink_to(data)
    tree = tmp_path / 'tree'
    (tree / 'bad-input-sub').mkdir(parents=True)
    (tree / 'bad-input-a.txt').write_text('a\n')
    (tree / 'bad-input-sub' / 'b.txt').write_text('b\n')
    values = {
        'file': str(data),
        'empty': str(tmp_path / 'empty.bin'),
        'dir': str(tmp_path / 'dir'),
        'link': str(tmp_path / 'link.bin'),
        'missing': str(tmp_path / 'missing.bin'),
        'out': str(tmp_path / 'out.bin'),
        'noparent': str(tmp_path / 'no-such-dir' / 'out.bin'),
        'tree': str(tree),
        'auth_url_with_password': re.sub(r'^(\w+://)', r'\1ncuser:%s@' % SECRET, auth['auth_url']),
    }
    case_ = request.node.callspec.params['c']
    if '{container}' in json.dumps(case_.args) or request.function is test_archive_upload_role:
        values['container'] = request.getfixturevalue('container')
    return values


def _fill(value, values):
    if isinstance(value, str):
        for key, replacement in values.items():
            value = value.replace('{%s}' % key, replacement)
        return value
    if isinstance(value, dict):
        return dict((k, _fill(v, values)) for k, v in value.items())
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


@pytest.fixture
def traversal_cleanup(swift):
    """Deletes the containers that a name like '../victim' reached (old code), if it made them."""
    before = _containers(swift)
    yield
    for name in (_containers(swift) - before) & set(TRAVERSAL_TARGETS):
        for entry in swift.get_container(name, full_listing=True)[1]:
            swift.delete_object(name, entry['name'])
        swift.delete_container(name)


def _containers(swift):
    return set(entry['name'] for entry in swift.get_account(full_listing=True)[1])


def _matches(text, hint):
    """Whether ``hint`` (a word, a tuple of alternatives, or '!word' for absent) is in text."""
    if isinstance(hint, tuple):
        return any(_matches(text, h) for h in hint)
    if hint.startswith('!'):
        return hint[1:].lower() not in text.lower()
    return hint.lower() in text.lower()


def _names_option(msg, option):
    if isinstance(option, tuple):
        return any(_names_option(msg, o) for o in option)
    return re.search(r'(?<![\w\[\].])%s(?![\w\[])' % re.escape(option), msg) is not None


def _assert_refused(c, msg, output, proxy):
    print('%s: %s' % (c.id, msg))  # shown with -rP, and with a failure
    writes = proxy.writes()
    assert writes == [], 'write requests reached the proxy: %r' % (writes,)
    assert msg, 'no failure message; output:\n%s' % output[-4000:]
    assert _names_option(msg, c.option), 'message does not name %r: %s' % (c.option, msg)
    for hint in c.hints:
        assert _matches(msg, hint), 'message lacks %r: %s' % (hint, msg)
    assert 'Traceback' not in output, 'a traceback was printed:\n%s' % output[-4000:]
    if c.early:
        sent = proxy.swift_requests()
        assert sent == [], 'Swift requests sent for an input refused locally: %r' % (sent,)


def _check_module(run_module, proxy, module, c, values, **kwargs):
    args = _fill(c.args, values)
    result = run_module(module, args, **kwargs)
    output = (result.stdout or '') + (result.stderr or '')
    assert result.failed, '%s accepted %r: %s' % (module, args, output[-2000:])
    _assert_refused(c, result.msg or '', output, proxy)
    return result, output


# --- tests ------------------------------------------------------------------------------


@pytest.mark.parametrize('c', OBJECT_CASES)
def test_archive_object(c, run_module, proxy, paths, traversal_cleanup):
    _check_module(run_module, proxy, 'archive_object', c, paths)
    assert not os.path.exists(paths['out'])


@pytest.mark.parametrize('c', SLO_CASES)
def test_archive_slo(c, run_module, proxy, paths, traversal_cleanup):
    _check_module(run_module, proxy, 'archive_slo', c, paths)


@pytest.mark.parametrize('c', SYNC_CASES)
def test_archive_sync(c, run_module, proxy, paths, traversal_cleanup):
    _check_module(run_module, proxy, 'archive_sync', c, paths)


@pytest.mark.parametrize('c', INFO_CASES)
def test_archive_info(c, run_module, proxy, paths):
    _check_module(run_module, proxy, 'archive_info', c, paths)


@pytest.mark.parametrize('c', CONTAINER_CASES)
def test_archive_container(c, run_module, proxy, paths):
    _check_module(run_module, proxy, 'archive_container', c, paths)


@pytest.mark.parametrize('c', AUTH_CASES)
def test_common_options(c, run_module, proxy, paths, auth):
    module, args = c.args
    args = _fill(args, paths)
    module_auth = dict(auth)
    env = None
    if 'secret_key' in args and args['secret_key'] is None:
        # No secret anywhere: neither the option nor the environment variables it falls back to.
        del args['secret_key']
        module_auth.pop('secret_key', None)
        env = {'NCLOUD_SECRET_KEY': None, 'OS_PASSWORD': None}
    for key in [k for k in args if k in module_auth]:
        module_auth[key] = args.pop(key)
    result, output = _check_module(run_module, proxy, module, c._replace(args=args), {}, auth=module_auth, env=env)
    assert SECRET not in output, 'the password of auth_url was shown: %s' % output[-2000:]
    if result.json:
        assert SECRET not in json.dumps(result.json)


def _role_failures(stdout):
    """The results of the failed tasks of a playbook run (-vvv, default callback), as dicts."""
    decoder = json.JSONDecoder()
    results = []
    for match in re.finditer(r'^(?:fatal|failed): \[[^\]]*\].*?=> ', stdout, re.M):
        try:
            results.append(decoder.raw_decode(stdout, match.end())[0])
        except ValueError:
            results.append({'msg': stdout[match.end() : match.end() + 2000]})
    return results


def _messages(result):
    msgs = [str(result.get('msg', ''))]
    for item in result.get('results') or []:
        if isinstance(item, dict):
            msgs.extend(_messages(item))
    return msgs


@pytest.mark.parametrize('c', ROLE_CASES)
def test_archive_upload_role(c, run_playbook, proxy, paths, auth, tmp_path, traversal_cleanup):
    role_vars = {'archive_upload_src': paths['tree'], 'archive_upload_container': paths['container']}
    role_vars.update(_fill(c.args, paths))
    play = ROLE_PLAY % {'auth': json.dumps(auth), 'vars': json.dumps(role_vars)}
    # An empty configuration of our own: no ansible.cfg of the host applies (ansible-core 2.19
    # refuses ANSIBLE_CONFIG=/dev/null: "Unsupported configuration file extension").
    config = tmp_path / 'ansible.cfg'
    config.write_text('[defaults]\n')
    result = run_playbook(play, env={'ANSIBLE_CONFIG': str(config)})
    output = (result.stdout or '') + (result.stderr or '')
    assert result.rc != 0, 'the role accepted %r:\n%s' % (c.args, output[-3000:])
    failures = _role_failures(result.stdout or '')
    assert failures, 'no failed task in the output:\n%s' % output[-3000:]
    msg = ' | '.join(m for f in failures for m in _messages(f) if m)
    _assert_refused(c, msg, output, proxy)
