# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module's docs parse as YAML (a ': ' inside plain text breaks ansible-doc), and no
module returns a key that Ansible reads itself: such a key changes how the task is reported
(a ``skipped`` list made archive_sync tasks show as SKIPPED and lose ``changed``)."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.ncloud.archive.plugins.doc_fragments.archive import ModuleDocFragment
from ansible_collections.ncloud.archive.plugins.modules import (
    archive_container,
    archive_info,
    archive_object,
    archive_slo,
    archive_sync,
)

# What ansible-core's executor, callbacks and result cleaning read in a module's result
# (executor/task_result.py, vars/clean.py, constants.py), and what loops, retries and the
# default callback add or show.
RESERVED = {
    'add_group',
    'add_host',
    'ansible_facts',
    'attempts',
    'changed',
    'censored',
    'deprecations',
    'exception',
    'failed',
    'failed_when_result',
    'changed_when_result',
    'false_condition',
    'invocation',
    'item',
    'module_stderr',
    'module_stdout',
    'msg',
    'rc',
    'results',
    'retries',
    'skip_reason',
    'skipped',
    'stderr',
    'stderr_lines',
    'stdout',
    'stdout_lines',
    'unreachable',
    'warnings',
}

MODULES = [archive_container, archive_info, archive_object, archive_slo, archive_sync]


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.rsplit('.', 1)[-1])
def test_no_documented_return_key_is_one_ansible_reads(module):
    keys = set(yaml.safe_load(module.RETURN))
    assert keys, 'RETURN documents no key: the check would prove nothing'
    assert not keys & RESERVED
    assert not [k for k in keys if k.startswith(('ansible_', '_ansible_'))]


def test_the_list_catches_what_broke_archive_sync():
    assert 'skipped' in RESERVED and 'skipped_paths' in yaml.safe_load(archive_sync.RETURN)


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.rsplit('.', 1)[-1])
@pytest.mark.parametrize('part', ['DOCUMENTATION', 'EXAMPLES', 'RETURN'])
def test_the_docs_parse(module, part):
    assert yaml.safe_load(getattr(module, part))


@pytest.mark.parametrize('name', [n for n in vars(ModuleDocFragment) if n.isupper()])
def test_the_doc_fragments_parse(name):
    assert yaml.safe_load(getattr(ModuleDocFragment, name))
