# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test helpers' one way to reach the lab straight through python-swiftclient, not through
the modules: a Keystone v3 session from the OS_* environment (tests/lab/lab env), and a
Connection on it. The scripts beside it import it (their directory is on sys.path)."""

from __future__ import annotations

import os

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from swiftclient import client


def session():
    """A Keystone v3 password session for the OS_* credentials."""
    auth = v3.Password(
        auth_url=os.environ['OS_AUTH_URL'],
        username=os.environ['OS_USERNAME'],
        password=os.environ['OS_PASSWORD'],
        project_id=os.environ['OS_PROJECT_ID'],
        user_domain_id=os.environ['OS_USER_DOMAIN_ID'],
    )
    return ks_session.Session(auth=auth)


def connection(shared=None):
    """A swiftclient Connection on ``shared`` (a session(); a new one when not given)."""
    return client.Connection(session=shared or session(), retries=5)
