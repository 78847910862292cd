"""Keystone: its database and fernet keys, the service user, the catalog and the two tenants,
and the smoke test of the whole chain (tenant token -> proxy -> account).

Part of the lab (tests/lab/lab.py assembles it); standard library only.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from labcommon import (
    AUTH_URL,
    REGION,
    STORAGE_URL_TEMPLATE,
    TENANTS,
    LabError,
    http,
    say,
    tail,
)


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


class KeystoneMixin:
    """The Lab's methods for this part (see lab.py)."""

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
