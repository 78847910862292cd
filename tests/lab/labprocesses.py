"""The servers' venv and processes: install, start (one process group each, a pidfile and a
log), health checks, stop.

Part of the lab (tests/lab/lab.py assembles it); standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import signal
import subprocess
import sys
import time

from labcommon import (
    DAEMON_SETTLE_SECONDS,
    HOST,
    REQUIREMENTS,
    LabError,
    http,
    memcached_answers,
    port_open,
    say,
    tail,
)


class ProcessesMixin:
    """The Lab's methods for this part (see lab.py)."""

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
