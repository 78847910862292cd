"""A local OpenStack Swift + Keystone v3 for the tests (run it through tests/lab/lab).

Everything lives in $LAB_DIR (default <repo>/.lab); see tests/lab/README.md.
Only the standard library is used here: the servers run from their own venv.
"""

from __future__ import annotations

import contextlib
import fcntl
import grp
import hashlib
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, 'templates')
REQUIREMENTS = os.path.join(HERE, 'requirements-server.txt')
REPO = os.path.dirname(os.path.dirname(HERE))

HOST = '127.0.0.1'
AUTH_URL = 'http://%s:5000/v3' % HOST
PROXY_URL = 'http://%s:8080' % HOST
STORAGE_URL_TEMPLATE = PROXY_URL + '/v1/AUTH_%(project_id)s'
MEMCACHED_PORT = 11211
# Swift's data goes to tmpfs (SHM/<SHM_PREFIX><user>-<hash of the lab dir>) with a file
# naming the lab dir beside it (same name + OWNER_SUFFIX).
SHM = '/dev/shm'
SHM_PREFIX = 'swift-lab-'
OWNER_SUFFIX = '.owner'
REGION = 'RegionOne'
DEFAULT_TOKEN_EXPIRATION = 3600
TENANTS = ('first', 'second')
STATE_VERSION = 1
DAEMON_SETTLE_SECONDS = 2.0
# 4 partitions per ring. Swift's container updater forks one child per partition that holds a
# container DB, every sweep (interval 5 s): with 256 partitions (part power 8) and the DBs
# that tests leave behind (deleted containers stay a week), that was a whole core, always.
RING_PART_POWER = 2

# Never send lab traffic through an HTTP proxy from the caller's environment.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LabError(Exception):
    """A failure explained to the user; `detail` is printed after the message."""

    def __init__(self, message, detail=''):
        super().__init__(message)
        self.detail = detail


def say(message):
    print('lab: %s' % message, file=sys.stderr, flush=True)


def http(method, url, body=None, headers=None, timeout=10.0):
    """Return (status, headers, parsed JSON or raw bytes); status None when nothing answers."""
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        headers['Content-Type'] = 'application/json'
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with HTTP.open(request, timeout=timeout) as response:
            status, resp_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, resp_headers, raw = exc.code, exc.headers, exc.read()
    except (urllib.error.URLError, OSError):
        return None, {}, b''
    if raw and (resp_headers.get('Content-Type') or '').startswith('application/json'):
        return status, resp_headers, json.loads(raw)
    return status, resp_headers, raw


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def tail(path, lines=30):
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode('utf-8', 'replace')
    except OSError:
        return '(no log at %s)' % path
    return '--- last lines of %s ---\n%s' % (path, '\n'.join(text.splitlines()[-lines:]))


def write_private(path, text):
    """Write atomically, mode 0600; return True when the content changed."""
    try:
        with open(path, encoding='utf-8') as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    tmp = '%s.tmp%d' % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write(text)
    os.replace(tmp, path)
    return True


def memcached_answers(timeout=2.0):
    """True when something on the memcached port answers the memcache `version` command."""
    try:
        with socket.create_connection((HOST, MEMCACHED_PORT), timeout=timeout) as sock:
            sock.sendall(b'version\r\n')
            return sock.recv(64).startswith(b'VERSION ')
    except OSError:
        return False


class Service:
    """One server process: how to start it and how to tell it is healthy."""

    def __init__(self, name, conf, port=None, health_path=None, binary=None):
        self.name = name
        self.conf = conf  # rendered config file whose change means "restart me"
        self.port = port  # None: a daemon without HTTP (healthy while it runs)
        self.health_path = health_path
        self.binary = binary or 'swift-%s-server' % name
        self.process = None  # Popen when started by this invocation
        self.started_at = 0.0
        # gunicorn treats SIGTERM as graceful (about 1 s more); SIGINT is its quick shutdown.
        self.stop_signal = signal.SIGINT if self.binary == 'gunicorn' else signal.SIGTERM

    def url(self):
        return 'http://%s:%d%s' % (HOST, self.port, self.health_path)

    def address(self):
        if self.port is None:
            return ''
        if self.health_path is None:  # memcached
            return '%s:%d' % (HOST, self.port)
        return 'http://%s:%d' % (HOST, self.port)


class Lab:
    def __init__(self):
        self.dir = os.path.abspath(os.path.expanduser(os.environ.get('LAB_DIR') or os.path.join(REPO, '.lab')))
        self.venv = os.path.abspath(os.path.expanduser(os.environ.get('LAB_VENV') or os.path.join(self.dir, 'venv')))
        self.etc = os.path.join(self.dir, 'etc')
        self.swift_dir = os.path.join(self.etc, 'swift')
        self.keystone_etc = os.path.join(self.etc, 'keystone')
        self.keystone_conf = os.path.join(self.keystone_etc, 'keystone.conf')
        self.keystone_data = os.path.join(self.dir, 'keystone')
        self.run_dir = os.path.join(self.dir, 'run')
        self.log_dir = os.path.join(self.dir, 'log')
        self.state_path = os.path.join(self.dir, 'state.json')
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.group = grp.getgrgid(os.getgid()).gr_name
        self.state = self.load_state()
        conf = {
            kind: os.path.join(self.swift_dir, '%s-server.conf' % kind)
            for kind in ('account', 'container', 'object', 'proxy')
        }
        self.memcached_conf = os.path.join(self.etc, 'memcached.conf')
        self.memcached = Service('memcached', self.memcached_conf, MEMCACHED_PORT, binary='memcached')
        # memcached first: stopped last, and the proxy's cache filter finds it from the start.
        self.all_services = [
            self.memcached,
            Service('account', conf['account'], 6202, '/healthcheck', binary='swift.account.server'),
            Service('container', conf['container'], 6201, '/healthcheck', binary='swift.container.server'),
            Service('object', conf['object'], 6200, '/healthcheck', binary='swift.obj.server'),
            # Updaters: listings get async-pending object updates, account stats converge.
            Service('container-updater', conf['container'], binary='swift.container.updater'),
            Service('object-updater', conf['object'], binary='swift.obj.updater'),
            # Deletes what X-Delete-At says is due (retention tests); its [object-expirer]
            # section is in object-server.conf, its pipeline in internal-client.conf.
            Service('object-expirer', conf['object'], binary='swift.obj.expirer'),
            Service('proxy', conf['proxy'], 8080, '/healthcheck', binary='swift.proxy.server'),
            Service('keystone', self.keystone_conf, 5000, '/v3', binary='gunicorn'),
        ]

    @property
    def services(self):
        """The services this lab runs: memcached only when it is usable."""
        if self.memcached_usable():
            return self.all_services
        return self.all_services[1:]

    # ----- state -------------------------------------------------------------------------

    def load_state(self):
        try:
            with open(self.state_path, encoding='utf-8') as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise LabError('%s is not valid JSON (%s); remove it or run `lab clean`' % (self.state_path, exc)) from exc

    def save_state(self):
        write_private(self.state_path, json.dumps(self.state, indent=2, sort_keys=True) + '\n')

    def ensure_state(self):
        """Secrets and names chosen once and kept: configs render the same every time."""
        state = self.state
        state.setdefault('version', STATE_VERSION)
        state.setdefault('admin_password', secrets.token_urlsafe(18))
        state.setdefault('swift_password', secrets.token_urlsafe(18))
        state.setdefault('hash_suffix', secrets.token_hex(8))
        if 'devices' not in state:
            state['devices'] = os.path.abspath(os.environ.get('LAB_DEVICES') or self.default_devices())
        tenants = state.setdefault('tenants', {})
        for which in TENANTS:
            tenant = tenants.setdefault(which, {})
            tenant.setdefault('project_name', 'lab-project-%s' % which)
            tenant.setdefault('username', 'lab-user-%s' % which)
            tenant.setdefault('password', secrets.token_urlsafe(18))
        self.save_state()

    def default_devices(self):
        # tmpfs: no ext4 xattr size limit, and fast. Unique per lab dir; gone after a reboot
        # (recreated empty by `up`).
        if os.path.isdir(SHM) and os.access(SHM, os.W_OK):
            digest = hashlib.sha1(self.dir.encode()).hexdigest()[:12]
            return os.path.join(SHM, '%s%s-%s' % (SHM_PREFIX, self.user, digest))
        return os.path.join(self.dir, 'devices')

    def prune_orphaned_devices(self):
        """Delete the tmpfs data of labs whose directory is gone (a deleted clone, for one:
        `make test` stops its lab but keeps the data for the next `up`, which never comes).
        They are known by the `<devices>.owner` file `ensure_devices` writes beside them;
        data without one (from a lab older than that file) is left alone."""
        if not os.path.isdir(SHM):
            return
        mine = self.state['devices'] + OWNER_SUFFIX
        for name in sorted(os.listdir(SHM)):
            path = os.path.join(SHM, name)
            if not (name.startswith(SHM_PREFIX + self.user + '-') and name.endswith(OWNER_SUFFIX)) or path == mine:
                continue
            try:
                with open(path, encoding='utf-8') as handle:
                    owner = handle.read().strip()
            except OSError:
                continue
            if owner and not os.path.exists(os.path.join(owner, 'state.json')):
                devices = path[: -len(OWNER_SUFFIX)]
                shutil.rmtree(devices, ignore_errors=True)
                os.unlink(path)
                say('deleted %s: the Swift data of the lab at %s, which is gone' % (devices, owner))

    # ----- configuration -----------------------------------------------------------------

    def token_expiration(self):
        raw = os.environ.get('LAB_TOKEN_EXPIRATION') or str(DEFAULT_TOKEN_EXPIRATION)
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value <= 0:
            raise LabError('LAB_TOKEN_EXPIRATION must be a positive number of seconds, not %r' % raw)
        return value

    def workers(self):
        return os.environ.get('LAB_SWIFT_WORKERS', '0')

    @staticmethod
    def modern():
        """LAB_MODERN=1: Swift 2.38's own answers; else (pike) those of NAVER's Swift 2.15.1."""
        return os.environ.get('LAB_MODERN', '0').strip().lower() in ('1', 'yes', 'true', 'on')

    def mode(self):
        return 'modern' if self.modern() else 'pike'

    @staticmethod
    def memcached_wanted():
        return os.environ.get('LAB_MEMCACHED', '1').strip().lower() not in ('0', 'no', 'false', 'off')

    def memcached_binary(self):
        """Path of the memcached executable; None when it is missing or LAB_MEMCACHED=0."""
        if not self.memcached_wanted():
            return None
        return shutil.which('memcached') or next(
            (path for path in ('/usr/bin/memcached', '/usr/local/bin/memcached') if os.access(path, os.X_OK)), None
        )

    def memcached_usable(self):
        """Installed, wanted, and the port is free or held by the lab's own memcached."""
        return bool(self.memcached_binary()) and (self.pid(self.memcached) is not None or not port_open(MEMCACHED_PORT))

    def memcached_note(self):
        """Why the lab runs without memcached ('' when it does not)."""
        if not self.memcached_wanted():
            return 'off (LAB_MEMCACHED=0)'
        if not self.memcached_binary():
            return 'not installed'
        if not self.memcached_usable():
            return 'port %d is taken by another process (a system memcached?)' % MEMCACHED_PORT
        return ''

    def ensure_memcached(self):
        """Install Debian's memcached when it is missing (root + apt only); never fatal."""
        if not self.memcached_wanted() or self.memcached_binary():
            return
        why = None
        if not shutil.which('apt-get'):
            why = 'no apt-get on this machine'
        elif os.geteuid() != 0:
            why = 'installing it needs root (apt-get install memcached)'
        else:
            log = os.path.join(self.log_dir, 'apt.log')
            say('installing memcached with apt-get (log: %s)' % log)
            output = self.apt_get('install', log)
            if output and self.apt_lists_stale(output):
                say('apt package lists are missing or outdated: apt-get update, then install again')
                if self.apt_get('update', log) == '':
                    output = self.apt_get('install', log)
            if output == '' and self.memcached_binary():
                self.stop_packaged_memcached(log)
                return
            why = 'apt-get could not install it (see %s)' % log
        say('warning: could not install memcached: %s' % why)

    def apt_get(self, action, log):
        """Run apt-get non-interactively; return '' on success, else its output."""
        argv = [
            'apt-get',
            '-q',
            '-y',
            '-o',
            'DPkg::Lock::Timeout=120',
            '-o',
            'Acquire::Retries=1',
            '-o',
            'Acquire::http::Timeout=20',
        ]
        argv += ['install', '--no-install-recommends', 'memcached'] if action == 'install' else ['update']
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive', NEEDRESTART_MODE='a')
        with open(log, 'ab') as handle:
            handle.write(('\n=== lab: %s ===\n' % ' '.join(argv)).encode())
            handle.flush()
            result = subprocess.run(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, check=False
            )
            handle.write(result.stdout)
        if result.returncode == 0:
            return ''
        return result.stdout.decode('utf-8', 'replace') or 'exit status %d' % result.returncode

    def stop_packaged_memcached(self, log):
        """On systemd machines the package starts its own memcached on port 11211: the lab runs
        its own, so stop and disable the one the lab just installed."""
        if not (port_open(MEMCACHED_PORT) and os.path.isdir('/run/systemd/system') and shutil.which('systemctl')):
            return
        say('stopping and disabling the memcached.service the package started (the lab runs its own)')
        with open(log, 'ab') as handle:
            subprocess.run(
                ['systemctl', 'disable', '--now', 'memcached.service'],
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                check=False,
            )

    @staticmethod
    def apt_lists_stale(output):
        return any(
            sign in output
            for sign in (
                'Unable to locate package',
                'has no installation candidate',
                'Failed to fetch',
                '404  Not Found',
                '404 Not Found',
            )
        )

    def render(self, template):
        with open(os.path.join(TEMPLATES, template), encoding='utf-8') as handle:
            return string.Template(handle.read()).substitute(
                lab_dir=self.dir,
                devices=self.state['devices'],
                user=self.user,
                workers=self.workers(),
                hash_suffix=self.state['hash_suffix'],
                swift_password=self.state['swift_password'],
                auth_url=AUTH_URL,
                token_expiration=self.token_expiration(),
                memcached_port=MEMCACHED_PORT,
                # Swift's memcache filter: account/container info and tokens are cached.
                cache='cache ' if self.memcached_usable() else '',
                **self.mode_settings(),
            )

    def mode_settings(self):
        """The proxy-server.conf lines that make Swift 2.38 answer like Swift 2.15.1 (pike) or
        leave it as it is (modern); see templates/lab_pike.py."""
        if self.modern():
            return {'lab_pike': '', 'symlink': 'symlink ', 'tempurl_pike': '\n', 'slo_pike': '\n'}
        return {
            'lab_pike': 'lab_pike ',
            'symlink': '',
            'tempurl_pike': '# pike: 2.15.1 signs and checks HMAC-SHA1 only\nallowed_digests = sha1\n\n',
            'slo_pike': '# pike: 2.15.1\'s default (DEFAULT_MAX_MANIFEST_SIZE, 2 MiB; 8 MiB since 2.17)\n'
            'max_manifest_size = 2097152\n\n',
        }

    def rendered_configs(self):
        """{path: text} for every generated file."""
        configs = {self.keystone_conf: self.render('keystone.conf')}
        for directory, name in (
            (self.keystone_etc, 'keystone_lab_wsgi.py'),
            (self.swift_dir, 'lab_swift_daemon.py'),
            (self.swift_dir, 'lab_pike.py'),  # the proxy's pike filter, imported from swift_dir
        ):
            with open(os.path.join(TEMPLATES, name), encoding='utf-8') as handle:
                configs[os.path.join(directory, name)] = handle.read()
        for name in (
            'swift.conf',
            'proxy-server.conf',
            'account-server.conf',
            'container-server.conf',
            'object-server.conf',
            'internal-client.conf',
        ):
            configs[os.path.join(self.swift_dir, name)] = self.render(name)
        if self.memcached_binary():
            configs[self.memcached_conf] = self.render('memcached.conf')
        return configs

    def configs_current(self):
        for path, text in self.rendered_configs().items():
            try:
                with open(path, encoding='utf-8') as handle:
                    if handle.read() != text:
                        return False
            except OSError:
                return False
        return True

    def write_configs(self):
        """Write the configs; return the set of paths whose content changed."""
        changed = set()
        for path, text in self.rendered_configs().items():
            if write_private(path, text):
                changed.add(path)
        return changed

    # ----- processes ---------------------------------------------------------------------

    def pidfile(self, service):
        return os.path.join(self.run_dir, '%s.pid' % service.name)

    def logfile(self, service):
        return os.path.join(self.log_dir, '%s.log' % service.name)

    def pid(self, service):
        """The pid from the pidfile when that process is alive and is ours, else None."""
        try:
            with open(self.pidfile(service), encoding='ascii') as handle:
                pid = int(handle.read().strip())
            with open('/proc/%d/cmdline' % pid, 'rb') as handle:
                cmdline = handle.read().decode('utf-8', 'replace')
            with open('/proc/%d/stat' % pid, 'rb') as handle:
                zombie = handle.read().rsplit(b')', 1)[1].split()[0] == b'Z'
        except (OSError, ValueError, IndexError):
            return None
        # A recycled pid would not mention this lab's config.
        if zombie or self.dir + os.sep not in cmdline:
            return None
        return pid

    def healthy(self, service):
        if service.port is None:
            return self.pid(service) is not None
        if service is self.memcached:
            return memcached_answers()
        status = http('GET', service.url(), timeout=2.0)[0]
        return status == 200

    def service_up(self, service):
        return self.pid(service) is not None and self.healthy(service)

    def command(self, service):
        bin_dir = os.path.join(self.venv, 'bin')
        if service.name == 'keystone':
            return [
                os.path.join(bin_dir, 'gunicorn'),
                '--bind',
                '%s:%d' % (HOST, service.port),
                '--workers',
                '1',
                '--threads',
                '4',
                '--timeout',
                '120',
                '--graceful-timeout',
                '5',
                '--no-control-socket',
                '--pythonpath',
                self.keystone_etc,
                '--name',
                'lab-keystone',
                'keystone_lab_wsgi:application',
            ]
        if service is self.memcached:
            with open(self.memcached_conf, encoding='utf-8') as handle:
                options = [word for line in handle if not line.lstrip().startswith('#') for word in line.split()]
            # memcached writes its pidfile itself (-P); it also puts the lab dir on the command
            # line, which is how pid() recognises the process.
            argv = [self.memcached_binary()] + options + ['-P', self.pidfile(service)]
            if os.geteuid() == 0:
                argv += ['-u', 'root']  # memcached refuses to run as root otherwise
            return argv
        if service.binary.startswith('swift.'):  # a Swift module, run through the swift_dir wrapper
            return [
                self.venv_python(),
                os.path.join(self.swift_dir, 'lab_swift_daemon.py'),
                service.binary,
                service.conf,
                '-v',
            ]
        return [os.path.join(bin_dir, service.binary), service.conf, '-v']

    def server_env(self):
        env = {key: value for key, value in os.environ.items() if not key.startswith(('OS_', 'ST_', 'PYTHON'))}
        env.update(
            {
                'PYTHONWARNINGS': 'ignore',
                'PATH': os.path.join(self.venv, 'bin') + os.pathsep + os.environ.get('PATH', '/usr/bin:/bin'),
                'NO_PROXY': '127.0.0.1,localhost',
                'no_proxy': '127.0.0.1,localhost',
                'OS_KEYSTONE_CONFIG_FILES': self.keystone_conf,
            }
        )
        # eventlet's green DNS resolver (it imports dnspython: ~10 MiB in each Swift process)
        # has nothing to resolve here: every address is a literal 127.0.0.1.
        env['EVENTLET_NO_GREENDNS'] = 'yes'
        return env

    def start(self, service):
        if service.port is not None and port_open(service.port):
            raise LabError(
                'port %d (%s) is already taken by a process that is not this lab (%s)'
                % (service.port, service.name, self.dir)
            )
        logfile = self.logfile(service)
        if service is self.memcached:  # it writes the pidfile and warns about an old one
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.pidfile(service))
        with open(logfile, 'ab') as log:
            log.write(('\n=== lab: starting %s at %s ===\n' % (service.name, time.strftime('%F %T'))).encode())
            log.flush()
            # Own session: swift calls killpg(0, SIGTERM) on shutdown, which must not reach us.
            service.process = subprocess.Popen(
                self.command(service),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
                env=self.server_env(),
                start_new_session=True,
                close_fds=True,
            )
        service.started_at = time.monotonic()
        if service is not self.memcached:
            with open(self.pidfile(service), 'w', encoding='ascii') as handle:
                handle.write('%d\n' % service.process.pid)

    def stop(self, services, timeout=15.0):
        """Signal each process group to stop, wait, SIGKILL what is left."""
        pids = {}
        for service in services:
            pid = self.pid(service)
            if pid is not None:
                pids[service.name] = pid
                self.signal_group(pid, service.stop_signal)
        deadline = time.monotonic() + timeout
        while pids and time.monotonic() < deadline:
            for service in services:
                if service.name in pids and not self.alive(pids[service.name]):
                    del pids[service.name]
            time.sleep(0.05)
        for pid in pids.values():
            self.signal_group(pid, signal.SIGKILL)
        for service in services:
            try:
                os.unlink(self.pidfile(service))
            except FileNotFoundError:
                pass
            service.process = None

    @staticmethod
    def signal_group(pid, signum):
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, signum)
            else:
                os.kill(pid, signum)
        except ProcessLookupError:
            pass

    @staticmethod
    def alive(pid):
        try:
            os.waitpid(pid, os.WNOHANG)  # reap when it is our own child
        except ChildProcessError:
            pass
        try:
            with open('/proc/%d/stat' % pid, 'rb') as handle:
                return handle.read().rsplit(b')', 1)[1].split()[0] != b'Z'
        except (OSError, IndexError):
            return False

    def wait_healthy(self, services, timeout):
        pending = list(services)
        deadline = time.monotonic() + timeout
        while pending:
            for service in list(pending):
                if service.process is not None and service.process.poll() is not None:
                    raise LabError(
                        '%s exited with status %s while starting' % (service.name, service.process.returncode),
                        tail(self.logfile(service)),
                    )
                # A daemon has no health URL: it counts once it has outlived its start-up checks.
                settled = (
                    service.port is not None
                    or service.process is None
                    or time.monotonic() - service.started_at > DAEMON_SETTLE_SECONDS
                )
                if settled and self.healthy(service) and (service is not self.memcached or self.pid(service)):
                    pending.remove(service)
            if not pending:
                return
            if time.monotonic() > deadline:
                raise LabError(
                    '%s not healthy after %ds' % (', '.join(s.name for s in pending), timeout),
                    '\n'.join(tail(self.logfile(s)) for s in pending),
                )
            time.sleep(0.1)

    # ----- installation and one-time setup -------------------------------------------------

    def venv_python(self):
        return os.path.join(self.venv, 'bin', 'python')

    def ensure_venv(self):
        with open(REQUIREMENTS, 'rb') as handle:
            wanted = hashlib.sha256(handle.read()).hexdigest()
        marker = os.path.join(self.venv, '.lab-requirements.sha256')
        try:
            with open(marker, encoding='ascii') as handle:
                if handle.read().strip() == wanted and os.access(self.venv_python(), os.X_OK):
                    return
        except OSError:
            pass
        log = os.path.join(self.log_dir, 'pip.log')
        if not os.access(self.venv_python(), os.X_OK):
            say('creating the server venv %s' % self.venv)
            self.run([sys.executable, '-m', 'venv', '--clear', self.venv], log)
        say('installing swift, keystone, gunicorn from PyPI into %s (about a minute; log: %s)' % (self.venv, log))
        self.run(
            [
                self.venv_python(),
                '-m',
                'pip',
                'install',
                '--no-input',
                '--disable-pip-version-check',
                '-r',
                REQUIREMENTS,
            ],
            log,
        )
        with open(marker, 'w', encoding='ascii') as handle:
            handle.write(wanted + '\n')

    def run(self, argv, log, env=None):
        with open(log, 'ab') as handle:
            handle.write(('\n=== lab: %s ===\n' % ' '.join(shlex.quote(a) for a in argv)).encode())
            handle.flush()
            result = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
                env=env,
                check=False,
            )
        if result.returncode != 0:
            raise LabError('`%s` failed with status %d' % (' '.join(argv[:4]), result.returncode), tail(log))

    def ensure_devices(self):
        device = os.path.join(self.state['devices'], 'd1')
        os.makedirs(device, exist_ok=True)
        if self.state['devices'].startswith(SHM + os.sep):
            # Beside the devices, not in them: Swift's daemons list that directory.
            owner = self.state['devices'] + OWNER_SUFFIX
            if not os.path.exists(owner):
                with open(owner, 'w', encoding='utf-8') as handle:
                    handle.write(self.dir + '\n')
        link = os.path.join(self.dir, 'devices')
        if self.state['devices'] != link and not os.path.islink(link):
            os.symlink(self.state['devices'], link)

    def ensure_rings(self):
        rings = [
            (kind, port)
            for kind, port in (('account', 6202), ('container', 6201), ('object', 6200))
            if not os.path.exists(os.path.join(self.swift_dir, '%s.ring.gz' % kind))
        ]
        if not rings:
            if self.state.get('ring_part_power') != RING_PART_POWER:
                say(
                    'warning: the rings were built by an older lab (part power 8): its container updater uses '
                    'about a core. `tests/lab/lab clean` (deletes the lab\'s data) and `up` '
                    'rebuild them with %d.' % RING_PART_POWER
                )
            return
        say('building rings: %s' % ', '.join(ring[0] for ring in rings))
        script = (
            'import sys\n'
            'from swift.common.ring import RingBuilder\n'
            'swift_dir = sys.argv[1]\n'
            'for arg in sys.argv[3:]:\n'
            '    kind, port = arg.split(":")\n'
            '    builder = RingBuilder(int(sys.argv[2]), 1, 1)\n'
            '    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),\n'
            '                     "replication_ip": "127.0.0.1", "replication_port": int(port),\n'
            '                     "device": "d1", "weight": 1.0, "meta": ""})\n'
            '    builder.rebalance()\n'
            '    builder.save("%s/%s.builder" % (swift_dir, kind))\n'
            '    builder.get_ring().save("%s/%s.ring.gz" % (swift_dir, kind))\n'
        )
        self.run(
            [self.venv_python(), '-c', script, self.swift_dir, str(RING_PART_POWER)] + ['%s:%d' % r for r in rings],
            os.path.join(self.log_dir, 'rings.log'),
            env=self.server_env(),
        )
        self.state['ring_part_power'] = RING_PART_POWER
        self.save_state()

    def keystone_manage(self, *args, env_extra=None):
        env = self.server_env()
        env.update(env_extra or {})
        argv = [os.path.join(self.venv, 'bin', 'keystone-manage'), '--config-file', self.keystone_conf] + list(args)
        log = os.path.join(self.log_dir, 'keystone-manage.log')
        with open(log, 'ab') as handle:
            handle.write(('\n=== lab: keystone-manage %s ===\n' % ' '.join(args)).encode())
            handle.flush()
            return subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, cwd=self.dir, env=env
            )

    def init_keystone(self):
        if self.state.get('keystone_initialized'):
            return
        say('initialising keystone (sqlite, fernet)')
        os.makedirs(self.keystone_data, mode=0o700, exist_ok=True)
        log = os.path.join(self.log_dir, 'keystone-manage.log')
        owner = ['--keystone-user', self.user, '--keystone-group', self.group]
        # The key repositories do not touch the database: run them alongside db_sync.
        steps = [
            ('db_sync', self.keystone_manage('db_sync')),
            ('fernet_setup', self.keystone_manage('fernet_setup', *owner)),
            ('credential_setup', self.keystone_manage('credential_setup', *owner)),
        ]
        for name, proc in steps:
            if proc.wait() != 0:
                raise LabError('keystone-manage %s failed' % name, tail(log))
        proc = self.keystone_manage(
            'bootstrap',
            '--bootstrap-admin-url',
            AUTH_URL,
            '--bootstrap-public-url',
            AUTH_URL,
            '--bootstrap-internal-url',
            AUTH_URL,
            '--bootstrap-region-id',
            REGION,
            env_extra={'OS_BOOTSTRAP_PASSWORD': self.state['admin_password']},
        )
        if proc.wait() != 0:
            raise LabError('keystone-manage bootstrap failed', tail(log))
        self.state['keystone_initialized'] = True
        self.save_state()

    # ----- keystone REST provisioning ------------------------------------------------------

    def provision(self):
        if self.state.get('provisioned'):
            return
        say('creating the swift service user, catalog and the two tenants')
        admin = KeystoneAdmin(self.state['admin_password'])
        service_project = admin.ensure(
            'projects', 'service', {'domain_id': 'default', 'description': 'lab: service users'}
        )
        swift_user = admin.ensure_user('swift', self.state['swift_password'], service_project)
        for role in ('admin', 'service'):
            admin.grant(service_project, swift_user, admin.ensure('roles', role, {}))
        service = admin.ensure_service('object-store', 'swift')
        for interface in ('public', 'internal', 'admin'):
            admin.ensure_endpoint(service, interface, STORAGE_URL_TEMPLATE)
        member = admin.ensure('roles', 'member', {})
        for which in TENANTS:
            tenant = self.state['tenants'][which]
            tenant['project_id'] = admin.ensure(
                'projects', tenant['project_name'], {'domain_id': 'default', 'description': 'lab: %s tenant' % which}
            )
            tenant['user_id'] = admin.ensure_user(tenant['username'], tenant['password'], tenant['project_id'])
            admin.grant(tenant['project_id'], tenant['user_id'], member)
        self.state['provisioned'] = True
        self.save_state()

    def smoke_test(self):
        """The whole chain: a tenant token accepted by the proxy for its own account."""
        tenant = self.state['tenants']['first']
        token = password_token(tenant['username'], tenant['password'], tenant['project_id'])
        url = STORAGE_URL_TEMPLATE % tenant
        deadline = time.monotonic() + 30
        while True:
            status = http('HEAD', url, headers={'X-Auth-Token': token})[0]
            if status in (200, 204):
                self.check_mode_answers()
                return
            if time.monotonic() > deadline:
                raise LabError(
                    'HEAD %s with a fresh token answered %s' % (url, status),
                    tail(os.path.join(self.log_dir, 'proxy.log')),
                )
            time.sleep(0.3)

    def check_mode_answers(self):
        """/info says what the mode promises: in pike mode 2.15.1's (no tempurl digests list,
        a 2 MiB manifest limit, no symlink), in modern mode 2.38's."""
        status, _headers, info = http('GET', PROXY_URL + '/info')
        info = info if status == 200 and isinstance(info, dict) else {}
        pike = (
            'allowed_digests' not in info.get('tempurl', {})
            and info.get('slo', {}).get('max_manifest_size') == 2097152
            and 'symlink' not in info
        )
        if pike == self.modern():
            raise LabError(
                'the proxy does not answer as the %s mode promises: /info %s' % (self.mode(), json.dumps(info)[:400])
            )

    # ----- commands ------------------------------------------------------------------------

    def all_up(self):
        return (
            self.state.get('provisioned')
            and self.configs_current()
            and os.path.isdir(os.path.join(self.state['devices'], 'd1'))
            and all(self.service_up(s) for s in self.services)
        )

    def lock(self):
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        handle = open(os.path.join(self.dir, 'lab.lock'), 'w', encoding='ascii')  # pylint: disable=consider-using-with
        fcntl.flock(handle, fcntl.LOCK_EX)
        return handle

    def up(self):
        if self.state and self.all_up():
            say('already up, %s (%s)' % (self.mode_note(), self.dir))
            return 0
        started_at = time.monotonic()
        with self.lock():
            self.state = self.load_state()
            if self.state and self.all_up():  # another `up` finished while we waited
                say('already up, %s (%s)' % (self.mode_note(), self.dir))
                return 0
            for path in (self.dir, self.etc, self.swift_dir, self.keystone_etc, self.run_dir, self.log_dir):
                os.makedirs(path, mode=0o700, exist_ok=True)
            self.ensure_venv()
            self.ensure_memcached()
            self.ensure_state()
            self.ensure_devices()
            self.prune_orphaned_devices()
            changed = self.write_configs()
            self.ensure_rings()
            note = self.memcached_note()
            if note:
                say(
                    'warning: running without memcached (%s): the proxy has no cache, which is '
                    'slower (every request also HEADs the account)' % note
                )
                if self.pid(self.memcached) is not None:  # LAB_MEMCACHED=0 after a run with it
                    say('stopping memcached')
                    self.stop([self.memcached])

            swift = [s for s in self.services if s.name not in ('keystone', 'memcached')]
            keystone = self.services[-1]
            # Restart what runs with an outdated config; start what is not running.
            restart = [s for s in self.services if s.conf in changed and self.pid(s) is not None]
            swift_conf = os.path.join(self.swift_dir, 'swift.conf')
            if swift_conf in changed:
                restart += [s for s in swift if s not in restart and self.pid(s) is not None]
            if os.path.join(self.swift_dir, 'lab_pike.py') in changed and not self.modern():
                restart += [s for s in swift if s.name == 'proxy' and s not in restart and self.pid(s) is not None]
            if restart:
                say('restarting with new config: %s' % ', '.join(s.name for s in restart))
                self.stop(restart)
            for service in self.services:
                pid = self.pid(service)
                if pid is not None and not self.healthy(service):
                    say('%s (pid %d) is not answering: restarting it' % (service.name, pid))
                    self.stop([service])
            for service in self.services:
                if service.port is not None and self.pid(service) is None and port_open(service.port):
                    raise LabError(
                        'port %d (%s) is already taken by a process that is not this lab (%s)'
                        % (service.port, service.name, self.dir)
                    )
            # memcached and Swift first: its servers boot while keystone initialises.
            to_start = [s for s in self.services if s is not keystone and self.pid(s) is None]
            for service in to_start:
                self.start(service)
            self.init_keystone()
            if self.pid(keystone) is None:
                self.start(keystone)
                to_start.append(keystone)
            if to_start:
                say('starting %s' % ', '.join(s.name for s in to_start))
            timeout = int(os.environ.get('LAB_START_TIMEOUT', '90'))
            self.wait_healthy(self.services, timeout)
            self.provision()
            self.smoke_test()
        say(
            'up in %.1fs: keystone %s, swift %s, %s (%s)'
            % (time.monotonic() - started_at, AUTH_URL, PROXY_URL, self.mode_note(), self.dir)
        )
        return 0

    def down(self):
        if not os.path.isdir(self.dir):
            say('down (nothing at %s)' % self.dir)
            return 0
        with self.lock():
            running = [s for s in self.all_services if self.pid(s) is not None]
            self.stop(list(reversed(self.all_services)))
        say('down (stopped %s)' % (', '.join(s.name for s in running) or 'nothing'))
        return 0

    def status(self):
        all_ok = True
        for service in self.all_services:
            note = self.memcached_note() if service is self.memcached else ''
            if note:  # the lab works without it (slower): not a failure
                print('%-18s %-26s %-11s %s' % (service.name, 'not used', '-', note))
                continue
            pid = self.pid(service)
            if pid is None:
                state, all_ok = 'down', False
            elif self.healthy(service):
                state = 'up'
            else:
                state, all_ok = 'running but not answering', False
            print('%-18s %-26s %-11s %s' % (service.name, state, 'pid %d' % pid if pid else '-', service.address()))
        if not self.state.get('provisioned'):
            print('%-18s not created yet (run `lab up`)' % 'tenants')
            all_ok = False
        elif os.path.exists(self.keystone_conf):
            print('%-18s expire after %s s' % ('tokens', self.configured_expiration()))
        mode = self.configured_mode()
        if mode:
            switch = '; `up` switches to %s (LAB_MODERN)' % self.mode() if mode != self.mode() else ''
            print('%-18s %s%s' % ('mode', self.mode_note(mode), switch))
        print('%-18s %s' % ('lab dir', self.dir))
        return 0 if all_ok else 3

    def mode_note(self, mode=None):
        if (mode or self.mode()) == 'modern':
            return 'modern (Swift 2.38\'s own answers)'
        return 'pike (answers like Swift 2.15.1)'

    def configured_mode(self):
        """The mode of the written proxy config ('' when there is none yet)."""
        try:
            with open(os.path.join(self.swift_dir, 'proxy-server.conf'), encoding='utf-8') as handle:
                pipeline = next((line for line in handle if line.startswith('pipeline =')), '')
        except OSError:
            return ''
        return 'pike' if ' lab_pike ' in pipeline else 'modern'

    def configured_expiration(self):
        with open(self.keystone_conf, encoding='utf-8') as handle:
            section = None
            for line in handle:
                line = line.strip()
                if line.startswith('['):
                    section = line
                elif section == '[token]' and line.replace(' ', '').startswith('expiration='):
                    return line.split('=', 1)[1].strip()
        return '?'

    def credentials(self, which):
        if not self.state.get('provisioned'):
            raise LabError('the lab has no tenants yet: run `tests/lab/lab up` first (%s)' % self.dir)
        if which == 'admin':
            return {
                'auth_url': AUTH_URL,
                'username': 'admin',
                'password': self.state['admin_password'],
                'project_name': 'admin',
                'project_domain_id': 'default',
                'user_domain_id': 'default',
                'region_name': REGION,
            }
        tenant = self.state['tenants'][which]
        return {
            'auth_url': AUTH_URL,
            'username': tenant['username'],
            'password': tenant['password'],
            'project_id': tenant['project_id'],
            'project_name': tenant['project_name'],
            'user_domain_id': 'default',
            'region_name': REGION,
            'storage_url': STORAGE_URL_TEMPLATE % tenant,
        }

    def env(self, args):
        if args and args[0] == 'json':
            print(json.dumps({which: self.credentials(which) for which in TENANTS}, indent=2))
            return 0
        which = args[0] if args else 'first'
        if which not in TENANTS + ('admin',) or len(args) > 1:
            raise LabError('usage: lab env [first|second|admin|json]')
        creds = self.credentials(which)
        lines = [
            ('OS_AUTH_URL', creds['auth_url']),
            ('OS_USERNAME', creds['username']),
            ('OS_PASSWORD', creds['password']),
        ]
        if which == 'admin':
            lines += [('OS_PROJECT_NAME', 'admin'), ('OS_PROJECT_DOMAIN_ID', 'default')]
        else:
            lines += [('OS_PROJECT_ID', creds['project_id'])]
        lines += [('OS_USER_DOMAIN_ID', 'default'), ('OS_IDENTITY_API_VERSION', '3')]
        for key, value in lines:
            print('export %s=%s' % (key, shlex.quote(value)))
        return 0

    def clean(self):
        """Stop and delete everything but the venv (which takes a minute to reinstall)."""
        self.down()
        devices = self.state.get('devices')
        if devices and os.path.isdir(devices):
            shutil.rmtree(devices)
        if devices and os.path.exists(devices + OWNER_SUFFIX):
            os.unlink(devices + OWNER_SUFFIX)
        if os.path.isdir(self.dir):
            for name in os.listdir(self.dir):
                path = os.path.join(self.dir, name)
                if path == self.venv or name == 'lab.lock':
                    continue
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
        say('cleaned %s (kept the venv %s)' % (self.dir, self.venv))
        return 0


def password_token(username, password, project_id, user_domain_id='default'):
    body = {
        'auth': {
            'identity': {
                'methods': ['password'],
                'password': {'user': {'name': username, 'password': password, 'domain': {'id': user_domain_id}}},
            },
            'scope': {'project': {'id': project_id}},
        }
    }
    status, headers, payload = http('POST', AUTH_URL + '/auth/tokens', body)
    if status != 201:
        raise LabError('keystone refused a token for %s: HTTP %s %s' % (username, status, payload))
    return headers['X-Subject-Token']


class KeystoneAdmin:
    """Find-or-create against keystone's v3 API as the bootstrap admin."""

    def __init__(self, admin_password):
        body = {
            'auth': {
                'identity': {
                    'methods': ['password'],
                    'password': {'user': {'name': 'admin', 'password': admin_password, 'domain': {'id': 'default'}}},
                },
                'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}},
            }
        }
        status, headers, payload = http('POST', AUTH_URL + '/auth/tokens', body)
        if status != 201:
            raise LabError('admin login to keystone failed: HTTP %s %s' % (status, payload))
        self.token = headers['X-Subject-Token']

    def call(self, method, path, body=None, expect=(200, 201, 204)):
        status, _headers, payload = http(method, AUTH_URL + path, body, {'X-Auth-Token': self.token})
        if status not in expect:
            raise LabError('keystone %s %s: HTTP %s %s' % (method, path, status, payload))
        return payload

    def ensure(self, collection, name, attrs):
        query = '?name=%s' % urllib.parse.quote(name)
        if 'domain_id' in attrs:
            query += '&domain_id=%s' % attrs['domain_id']
        found = self.call('GET', '/%s%s' % (collection, query))[collection]
        if found:
            return found[0]['id']
        entity = collection[:-1]
        return self.call('POST', '/' + collection, {entity: dict(attrs, name=name)})[entity]['id']

    def ensure_user(self, name, password, project_id):
        found = self.call('GET', '/users?name=%s&domain_id=default' % urllib.parse.quote(name))['users']
        if found:
            user_id = found[0]['id']
            self.call('PATCH', '/users/' + user_id, {'user': {'password': password, 'default_project_id': project_id}})
            return user_id
        return self.call(
            'POST',
            '/users',
            {
                'user': {
                    'name': name,
                    'password': password,
                    'domain_id': 'default',
                    'enabled': True,
                    'default_project_id': project_id,
                }
            },
        )['user']['id']

    def grant(self, project_id, user_id, role_id):
        self.call('PUT', '/projects/%s/users/%s/roles/%s' % (project_id, user_id, role_id))

    def ensure_service(self, service_type, name):
        for service in self.call('GET', '/services?type=%s' % service_type)['services']:
            if service.get('name') == name:
                return service['id']
        return self.call(
            'POST',
            '/services',
            {'service': {'type': service_type, 'name': name, 'enabled': True, 'description': 'lab: OpenStack Swift'}},
        )['service']['id']

    def ensure_endpoint(self, service_id, interface, url):
        query = '/endpoints?service_id=%s&interface=%s' % (service_id, interface)
        for endpoint in self.call('GET', query)['endpoints']:
            if endpoint['url'] == url and endpoint.get('region_id') == REGION:
                return endpoint['id']
        return self.call(
            'POST',
            '/endpoints',
            {
                'endpoint': {
                    'service_id': service_id,
                    'interface': interface,
                    'url': url,
                    'region_id': REGION,
                    'enabled': True,
                }
            },
        )['endpoint']['id']


USAGE = """usage: tests/lab/lab COMMAND
  up                 install (first time), start and provision; fast no-op when already up
  down               stop every server (data is kept)
  status             one line per service; exit 0 only when all are up
  env [first|second|admin]  shell `export OS_...` lines for a tenant (default: first)
  env json           {"first": {...}, "second": {...}} with auth_url, username, password,
                     project_id, user_domain_id, storage_url
  clean              down, then delete all state except the venv
environment: LAB_DIR (default <repo>/.lab), LAB_VENV (default $LAB_DIR/venv),
  LAB_TOKEN_EXPIRATION (seconds, default 3600, applied by `up`), LAB_START_TIMEOUT (90),
  LAB_SWIFT_WORKERS (0 = one process per swift server), LAB_MEMCACHED (1; 0 = no memcached),
  LAB_MODERN (0 = pike: answers like NAVER's Swift 2.15.1; 1 = Swift 2.38's own; applied by `up`)"""


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `lab status | head` ends quietly
    if not argv or argv[0] in ('-h', '--help', 'help'):
        print(USAGE)
        return 0 if argv else 2
    command, args = argv[0], argv[1:]
    try:
        lab = Lab()
        if command == 'up' and not args:
            return lab.up()
        if command == 'down' and not args:
            return lab.down()
        if command == 'status' and not args:
            return lab.status()
        if command == 'env':
            return lab.env(args)
        if command == 'clean' and not args:
            return lab.clean()
    except LabError as exc:
        say('error: %s' % exc)
        if exc.detail:
            print(exc.detail, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
