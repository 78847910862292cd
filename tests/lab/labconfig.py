"""Paths, settings and config files: the state file (secrets chosen once), the
environment variables, the mode (pike or modern), and the configs rendered from templates/.

Part of the lab (tests/lab/lab.py assembles it); standard library only.
"""

from __future__ import annotations

import json
import os
import secrets
import string

from labcommon import (
    AUTH_URL,
    DEFAULT_TOKEN_EXPIRATION,
    MEMCACHED_PORT,
    STATE_VERSION,
    TEMPLATES,
    TENANTS,
    LabError,
    write_private,
)


class ConfigMixin:
    """The Lab's methods for this part (see lab.py)."""

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
