# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the system tests: the lab, a fault proxy in front of it, module and playbook runs.

The modules run as the user runs them, in their own process, against a real Swift and
Keystone (``tests/lab/lab up``) reached through ``faultproxy.FaultProxy``. The collection under
test is ARCHIVE_COLLECTIONS_PATH (a directory holding ``ansible_collections/ncloud/archive``),
by default ``<repo>/build/collections`` as ``make collection`` installs it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from faultproxy import FaultProxy

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / 'tests' / 'lab' / 'lab'
PYTHON = sys.executable
BIN = Path(PYTHON).parent
# Inherited credentials would make a test pass with options it did not give.
_CLEAN_ENV_PREFIXES = ('OS_', 'NCLOUD_', 'ANSIBLE_')
_counts = {'fault': [0, 0], 'bad_input': [0, 0]}  # kind: [passed, collected]
_kinds = {}


# --- markers and the summary line --------------------------------------------------------


def pytest_configure(config):
    config.addinivalue_line('markers', 'fault: a fault-injection case (counted in the summary)')
    config.addinivalue_line('markers', 'bad_input: a bad-input case (counted in the summary)')


def pytest_collection_finish(session):
    # After deselection (-k, -m): the total is what this run set out to do.
    for item in session.items:
        for kind in _counts:
            if item.get_closest_marker(kind) is not None:
                _kinds[item.nodeid] = kind
                _counts[kind][1] += 1
                break


def pytest_runtest_logreport(report):
    # A case passed when its call passed and neither set-up nor tear-down failed.
    kind = _kinds.get(report.nodeid)
    if kind is None:
        return
    if report.when == 'call' and report.passed:
        _counts[kind][0] += 1
    elif report.when == 'teardown' and report.failed:
        _counts[kind][0] -= 1


def pytest_terminal_summary(terminalreporter):
    total = _counts['fault'][1] + _counts['bad_input'][1]
    terminalreporter.write_line(
        'fault suite: %d fault cases passed, %d bad inputs passed (of %d)'
        % (_counts['fault'][0], _counts['bad_input'][0], total)
    )


# --- the lab ------------------------------------------------------------------------------


def _lab_credentials():
    try:
        out = subprocess.run([str(LAB), 'env', 'json'], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail('cannot run %s env json: %s' % (LAB, exc), pytrace=False)
    if out.returncode != 0:
        pytest.fail(
            'the lab is not set up (%s env json: %s): run `tests/lab/lab up` first'
            % (LAB, (out.stderr or out.stdout).strip()),
            pytrace=False,
        )
    creds = json.loads(out.stdout)
    for url in ('http://127.0.0.1:8080/healthcheck', 'http://127.0.0.1:5000/v3'):
        try:
            urllib.request.urlopen(url, timeout=10).read()
        except OSError as exc:
            pytest.fail('the lab is not up (%s: %s): run `tests/lab/lab up` first' % (url, exc), pytrace=False)
    return creds


@pytest.fixture(scope='session')
def _lab_all():
    return _lab_credentials()


@pytest.fixture(scope='session')
def lab(_lab_all):
    return _lab_all['first']


@pytest.fixture(scope='session')
def lab_second(_lab_all):
    return _lab_all['second']


@pytest.fixture(scope='session')
def collections_path():
    path = Path(os.environ.get('ARCHIVE_COLLECTIONS_PATH') or REPO / 'build' / 'collections')
    if not (path / 'ansible_collections' / 'ncloud' / 'archive' / 'plugins' / 'modules').is_dir():
        pytest.fail(
            'no collection at %s/ansible_collections/ncloud/archive: set '
            'ARCHIVE_COLLECTIONS_PATH or run `make collection`' % path,
            pytrace=False,
        )
    return str(path)


@pytest.fixture(scope='session')
def swift(lab):
    """A swiftclient Connection straight to the lab (no proxy), for set-up and checks."""
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3
    from swiftclient.client import Connection

    auth = v3.Password(
        auth_url=lab['auth_url'],
        username=lab['username'],
        password=lab['password'],
        project_id=lab['project_id'],
        user_domain_id=lab['user_domain_id'],
    )
    conn = Connection(
        session=ks_session.Session(auth=auth), retries=2, os_options={'object_storage_url': lab['storage_url']}
    )
    yield conn
    conn.close()


def empty_and_delete(swift, name):
    """Delete a container and every object in it; a missing one is fine."""
    from swiftclient.exceptions import ClientException

    try:
        entries = swift.get_container(name, full_listing=True)[1]
    except ClientException as exc:
        if exc.http_status == 404:
            return
        raise
    for entry in entries:
        try:
            swift.delete_object(name, entry['name'])
        except ClientException as exc:
            if exc.http_status != 404:
                raise
    try:
        swift.delete_container(name)
    except ClientException as exc:
        if exc.http_status != 404:
            raise


@pytest.fixture
def container(swift):
    """A fresh container; it and ``<name>_segments`` are emptied and deleted afterwards."""
    name = 'fault-%s' % uuid.uuid4().hex[:10]
    swift.put_container(name)
    yield name
    for each in (name, name + '_segments'):
        empty_and_delete(swift, each)


# --- the proxy ----------------------------------------------------------------------------


@pytest.fixture
def make_proxy(lab):
    """make_proxy() -> another started FaultProxy (stopped after the test)."""
    started = []

    def make():
        proxy = FaultProxy(project_id=lab['project_id']).start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


@pytest.fixture
def proxy(make_proxy):
    return make_proxy()


def auth_options(proxy, lab):
    """Module auth options that send Keystone and Swift requests through ``proxy``."""
    # storage_url is needed: the catalog points at Swift directly, past the proxy.
    return {
        'auth_url': proxy.auth_url,
        'access_key': lab['username'],
        'secret_key': lab['password'],
        'project_id': lab['project_id'],
        'domain_id': lab['user_domain_id'],
        'storage_url': proxy.storage_url,
    }


@pytest.fixture
def auth(proxy, lab):
    return auth_options(proxy, lab)


def auth_defaults_yaml(auth, indent=2):
    """A ``module_defaults:`` block (YAML text) for the collection's action group."""
    pad = ' ' * indent
    return '%smodule_defaults:\n%s  group/ncloud.archive.archive: %s\n' % (pad, pad, json.dumps(auth))


# --- running modules and playbooks --------------------------------------------------------


@dataclasses.dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    seconds: float
    json: dict = None
    timed_out: bool = False

    @property
    def failed(self):
        return self.rc != 0 or bool((self.json or {}).get('failed')) or self.json is None

    @property
    def msg(self):
        return (self.json or {}).get('msg', '')

    @property
    def output(self):
        return (self.stdout or '') + (self.stderr or '')


def last_json(text):
    """The last JSON object that starts a line of ``text``, or None."""
    decoder = json.JSONDecoder()
    for start in sorted((i for i, line in _line_starts(text) if line.startswith('{')), reverse=True):
        try:
            return decoder.raw_decode(text, start)[0]
        except ValueError:
            continue
    return None


def _line_starts(text):
    offset = 0
    for line in text.splitlines(True):
        yield offset, line
        offset += len(line)


def child_env(env=None, **extra):
    """The environment of a module or playbook run: no inherited credentials; ``env`` values
    of None unset a variable."""
    result = dict((k, v) for k, v in os.environ.items() if not k.startswith(_CLEAN_ENV_PREFIXES))
    result.update(PYTHONWARNINGS='ignore', **extra)
    for key, value in (env or {}).items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


class Running:
    """A module run in the background (for kill -9 and concurrent writers)."""

    def __init__(self, argv, env, timeout, args_file, cwd=None):
        self.started = time.monotonic()
        self.timeout = timeout
        self.args_file = args_file
        self.proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )

    def kill(self):
        """SIGKILL: no clean-up code of the module runs."""
        os.kill(self.proc.pid, signal.SIGKILL)

    def wait(self, timeout=None):
        timed_out = False
        try:
            out, err = self.proc.communicate(timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            out, err = self.proc.communicate()
            timed_out = True
        seconds = time.monotonic() - self.started
        return Result(self.proc.returncode, out, err, seconds, last_json(out), timed_out)


class ModuleRunner:
    """run_module(name, args, auth=True, check=False, diff=False, timeout=300, env=None)."""

    def __init__(self, collections_path, auth, workdir):
        self.collections_path = collections_path
        self.auth = auth
        self.workdir = workdir
        self.results = []  # every Result of the test, for secret checks

    def start(self, module_name, args, auth=True, check=False, diff=False, timeout=300, env=None):
        params = {}
        if auth is True:
            params.update(self.auth)
        elif auth:
            params.update(auth)
        params.update(args)
        if check:
            params['_ansible_check_mode'] = True
        if diff:
            params['_ansible_diff'] = True
        args_file = self.workdir / ('args-%s.json' % uuid.uuid4().hex[:8])
        args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': params}))
        module = Path(
            self.collections_path, 'ansible_collections', 'ncloud', 'archive', 'plugins', 'modules', module_name + '.py'
        )
        return Running(
            [PYTHON, str(module), str(args_file)], child_env(env, PYTHONPATH=self.collections_path), timeout, args_file
        )

    def __call__(self, module_name, args, **kwargs):
        result = self.start(module_name, args, **kwargs).wait()
        self.results.append(result)
        return result


@pytest.fixture
def run_module(collections_path, auth, tmp_path_factory):
    return ModuleRunner(collections_path, auth, tmp_path_factory.mktemp('module-args'))


@pytest.fixture
def run_playbook(collections_path, auth, tmp_path_factory):
    """run_playbook(yaml_text, extra_vars=None, verbosity=3, timeout=600, env=None) -> Result.

    ``archive_auth`` (the proxy's auth options) is always an extra var.
    """
    workdir = tmp_path_factory.mktemp('playbook')

    def run(playbook, extra_vars=None, verbosity=3, timeout=600, env=None):
        name = uuid.uuid4().hex[:8]
        play = workdir / ('play-%s.yml' % name)
        play.write_text(playbook)
        variables = workdir / ('vars-%s.json' % name)
        variables.write_text(json.dumps(dict(extra_vars or {}, archive_auth=auth, ansible_python_interpreter=PYTHON)))
        argv = [str(BIN / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', '-e', '@%s' % variables, str(play)]
        if verbosity:
            argv.insert(1, '-' + 'v' * verbosity)
        run_env = child_env(
            env,
            ANSIBLE_COLLECTIONS_PATH=collections_path,
            ANSIBLE_HOME=str(workdir / 'home'),
            ANSIBLE_REMOTE_TMP=str(workdir / 'tmp'),
            ANSIBLE_LOCAL_TEMP=str(workdir / 'local-tmp'),
            ANSIBLE_NOCOLOR='1',
            ANSIBLE_FORCE_COLOR='0',
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
            ANSIBLE_PYTHON_INTERPRETER=PYTHON,
        )
        # Run in its own directory: no ansible.cfg of the caller's working directory applies.
        running = Running(argv, run_env, timeout, None, cwd=str(workdir))
        return running.wait()

    return run


# --- local files --------------------------------------------------------------------------


def make_file(path, size, seed):
    """Write ``size`` deterministic pseudo-random bytes (the same for the same seed)."""
    rng = random.Random(seed)
    path = Path(path)
    with open(path, 'wb') as handle:
        left = size
        while left > 0:
            step = min(left, 1 << 20)
            handle.write(rng.randbytes(step))
            left -= step
    return path


def md5_file(path):
    digest = hashlib.md5()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def md5_object(swift, container, name):
    """md5 of an object's bytes as a GET straight from Swift returns them (length checked)."""
    digest = hashlib.md5()
    size = 0
    try:
        headers, body = swift.get_object(container, name, resp_chunk_size=1 << 20)
        for block in body:
            digest.update(block)
            size += len(block)
    except Exception as exc:  # pylint: disable=broad-except
        # An SLO whose segments are gone answers 409, or drops the connection mid-body.
        raise AssertionError('%s/%s cannot be read back: %s' % (container, name, exc)) from None
    assert size == int(headers['content-length']), 'GET of %s/%s ended after %d of %s bytes' % (
        container,
        name,
        size,
        headers['content-length'],
    )
    return digest.hexdigest()
