# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module's docs parse as YAML (a ': ' inside plain text breaks ansible-doc), and no
module returns a key that Ansible reads itself: such a key changes how the task is reported
(a ``skipped`` list made archive_sync tasks show as SKIPPED and lose ``changed``).

What the modules return is what RETURN documents (issue 24): every state of every module is
run in check mode and for real, with the cases and the in-memory Swift of test_check_mode.py,
and each result is held against the module's RETURN: no undocumented key, every
``returned: always`` key there, the same keys in both runs, values of the documented type."""

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
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import FakeSwift
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.test_check_mode import BULK, CASES

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


# --- the results against RETURN -------------------------------------------------------------

# Keys Ansible adds to every result or owns, which a module's RETURN does not document.
ANSIBLE_KEYS = {'changed', 'diff', 'invocation', 'warnings', 'deprecations', 'failed', 'msg'}

TYPES = {'dict': dict, 'list': list, 'int': int, 'str': str, 'bool': bool, 'float': float}


def info_prefix(fake, tmp_path):
    fake.add_container('c')
    fake.add_object('c', 'logs/1', b'1')
    fake.add_object('c', 'other', b'2')
    return dict(container='c', prefix='logs/')


# test_check_mode's cases cover every state and mode; archive_info's prefix is added here.
RUNS = [(case_id, module, setup) for case_id, module, _reason, setup in CASES]
RUNS.append(('info-prefix', archive_info, info_prefix))


def only_after_a_real_run(doc):
    """Keys documented as present only once a file exists, which check mode does not write
    (archive_object's facts of dest): they may be in the real result alone."""
    return 'in check mode, only when it existed before' in doc.get('returned', '')


def nullable(doc):
    """None fits a key whose presence is conditional, or whose description says it can be null."""
    description = doc.get('description', '')
    text = ' '.join(description) if isinstance(description, list) else description
    return doc.get('returned', 'always') != 'always' or 'null' in text


def wrong_types(value, docs, path=''):
    """'key: type' for each documented key (sub-keys too) whose value has another type."""
    wrong = []
    for key, doc in docs.items():
        if not isinstance(value, dict) or key not in value or doc.get('type') not in TYPES:
            continue
        item, expected = value[key], TYPES[doc['type']]
        if item is None and nullable(doc):
            continue
        # bool is an int in Python, not in the docs.
        if not isinstance(item, expected) or (expected is not bool and isinstance(item, bool)):
            wrong.append('%s%s: %s is not %s' % (path, key, type(item).__name__, doc['type']))
            continue
        contains = doc.get('contains') or {}
        if doc['type'] == 'dict':
            wrong += wrong_types(item, contains, path + key + '.')
        elif doc['type'] == 'list':
            for index, element in enumerate(item):
                wrong += wrong_types(element, contains, '%s%s[%d].' % (path, key, index))
    return wrong


def return_problems(module, checked, real):
    """What in a check-mode and a real result disagrees with the module's RETURN, by rule."""
    docs = yaml.safe_load(module.RETURN)
    always = [key for key, doc in docs.items() if doc.get('returned') == 'always']
    problems = {}
    for run, result in (('check', checked), ('real', real)):
        problems['1 undocumented (%s)' % run] = sorted(set(result) - set(docs) - ANSIBLE_KEYS)
        problems['2 always but missing (%s)' % run] = [key for key in always if key not in result]
        problems['4 wrong type (%s)' % run] = wrong_types(result, docs)
    problems['3 keys only in check'] = sorted(set(checked) - set(real))
    problems['3 keys only in real'] = sorted(
        key for key in set(real) - set(checked) if not only_after_a_real_run(docs.get(key, {}))
    )
    return dict((rule, keys) for rule, keys in problems.items() if keys)


@pytest.mark.parametrize('case_id, module, setup', [pytest.param(*run, id=run[0]) for run in RUNS])
def test_the_result_keys_are_the_documented_ones(case_id, module, setup, run_module, tmp_path):
    fake = FakeSwift()
    args = setup(fake, tmp_path)
    real_swift = fake.copy()
    checked, failed = run_module(module.main, fake, info=BULK, _ansible_check_mode=True, _ansible_diff=True, **args)
    assert not failed, checked
    real, failed = run_module(module.main, real_swift, info=BULK, _ansible_diff=True, **args)
    assert not failed, real
    assert return_problems(module, checked, real) == {}
