"""memcached: whether the lab runs it, and Debian's package for it, installed only when
asked (LAB_INSTALL_PACKAGES=1: apt-get, and the system's own memcached service stopped).

Part of the lab (tests/lab/lab.py assembles it); standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from labcommon import (
    MEMCACHED_PORT,
    port_open,
    say,
)


class PackagesMixin:
    """The Lab's methods for this part (see lab.py)."""

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

    @staticmethod
    def install_packages():
        """Whether the caller asked the lab to install system packages (LAB_INSTALL_PACKAGES=1):
        apt-get, and stopping the service the package starts. Off by default: the lab runs
        plain processes and changes nothing of the system unless asked."""
        return os.environ.get('LAB_INSTALL_PACKAGES', '0').strip().lower() in ('1', 'yes', 'true', 'on')

    def ensure_memcached(self):
        """Install Debian's memcached when it is missing and LAB_INSTALL_PACKAGES=1 (root + apt
        only); never fatal: without it the lab runs without memcached."""
        if not self.memcached_wanted() or self.memcached_binary():
            return
        why = None
        if not self.install_packages():
            why = 'set LAB_INSTALL_PACKAGES=1 to have `lab up` apt-get install it (root)'
        elif not shutil.which('apt-get'):
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
        say('memcached is not installed, the lab runs without it: %s' % why)

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
