# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ncloud.archive.plugins.module_utils import _connection
from ansible_collections.ncloud.archive.plugins.module_utils._module import ArchiveModule

CREDENTIALS = dict(
    auth_url='http://127.0.0.1:1/v3', access_key='AKID', secret_key='s3cr3t-key', project_id='p1', domain_id='default'
)


class FakeConnector:
    """Stands in for the Keystone session: hands out the one fake swift connection (a
    FakeSwift, or a stub playing one answer). ``info``: the cluster's /info; ``limits``:
    parsed limits set directly (over what ``info`` gives), for client-level tests."""

    def __init__(self, conn, info=None, limits=None):
        self.conn = conn
        self.info = info or {}
        self.overrides = limits or {}

    def connect(self):
        return self.conn

    def limits(self, _conn):
        limits = _connection.parse_limits(self.info)
        limits.update(self.overrides)
        return limits


@pytest.fixture
def run_module(monkeypatch, capsys):
    """run_module(main, conn, **args) -> (result dict, failed)."""

    def _run(main, conn, info=None, **args):
        monkeypatch.setattr(ArchiveModule, 'connector', lambda self: FakeConnector(conn, info))
        params = dict(CREDENTIALS)
        params.update(args)
        with patch_module_args(params):
            with pytest.raises(SystemExit) as exit_info:
                main()
        result = json.loads(capsys.readouterr().out)
        return result, exit_info.value.code != 0

    return _run
