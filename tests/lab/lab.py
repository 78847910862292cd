"""A local OpenStack Swift + Keystone v3 for the tests (run it through tests/lab/lab).

Everything lives in $LAB_DIR (default <repo>/.lab); see tests/lab/README.md.
Only the standard library is used here: the servers run from their own venv.
"""

from __future__ import annotations

import fcntl
import grp
import json
import os
import pwd
import shlex
import shutil
import signal
import sys
import time

from labcommon import (
    AUTH_URL,
    MEMCACHED_PORT,
    OWNER_SUFFIX,
    PROXY_URL,
    REPO,
    TENANTS,
    LabError,
    Service,
    http,
    port_open,
    say,
)
from labconfig import ConfigMixin
from labkeystone import KeystoneMixin
from labpackages import PackagesMixin
from labprocesses import ProcessesMixin
from labrings import RingsMixin


class Lab(ConfigMixin, PackagesMixin, ProcessesMixin, RingsMixin, KeystoneMixin):
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
  LAB_INSTALL_PACKAGES (0; 1 = `up` may apt-get install memcached as root and stop the
  memcached.service the package starts),
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
