# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plan's actions are carried out by one table per module: an action that nothing carries
out is a bug, and it stops the run before anything is done."""

from __future__ import annotations

import pytest

from ansible_collections.ncloud.archive.plugins.module_utils import _plan
from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError


def test_dispatch_runs_each_action_in_order_with_its_arguments():
    done = []
    _plan.dispatch(
        [('put', {'h': 1}, 'text/plain'), ('post', {'x': 2}), ('delete',)],
        {
            'put': lambda headers, content_type: done.append(('put', headers, content_type)),
            'post': lambda headers: done.append(('post', headers)),
            'delete': lambda: done.append(('delete',)),
        },
    )
    assert done == [('put', {'h': 1}, 'text/plain'), ('post', {'x': 2}), ('delete',)]


def test_an_unknown_action_raises_before_anything_is_done():
    done = []
    with pytest.raises(ArchiveError, match=r"action\(s\) cleanup, manifest that nothing carries out"):
        _plan.dispatch(
            [('upload', [], None), ('manifest', {}), ('cleanup', {})],
            {'upload': lambda jobs, expiry: done.append('upload')},
        )
    assert done == []


def test_grouped_gives_every_kind_and_refuses_others():
    actions = [('mkdir', 'a'), ('get', {'n': 1}), ('mkdir', 'b')]
    assert _plan.grouped(actions, ('mkdir', 'get', 'remove')) == {
        'mkdir': [('a',), ('b',)],
        'get': [({'n': 1},)],
        'remove': [],
    }
    with pytest.raises(ArchiveError, match='remove_temp'):
        _plan.grouped(actions + [('remove_temp', 'x')], ('mkdir', 'get'))


def test_dispatch_returns_the_outcome_the_handlers_report():
    outcome = _plan.dispatch(
        [('delete_segments', ['/s/1']), ('delete',), ('delete_segments', ['/s/2', '/s/3'])],
        {
            'delete_segments': lambda paths: dict(segments_deleted=len(paths), last=paths[-1]),
            'delete': lambda: True,  # not a dict: not an outcome
        },
    )
    assert outcome == {'segments_deleted': 3, 'last': '/s/3'}


@pytest.mark.parametrize(
    'action, message',
    [
        (('frobnicate',), r"asked for 'frobnicate' with 0 argument"),
        (('put', {}), r"asked for 'put' with 1 argument"),
        (('delete', 'extra'), r"asked for 'delete' with 1 argument"),
    ],
    ids=['unknown-kind', 'too-few-arguments', 'too-many-arguments'],
)
def test_a_plan_with_an_unknown_or_malformed_action_cannot_be_built(action, message):
    with pytest.raises(ArchiveError, match=message):
        _plan.Plan('reason', actions=[('create', {}), action])


def test_a_plan_is_immutable_and_its_actions_are_typed():
    plan = _plan.Plan('metadata differs', {'a': 1}, {'a': 2}, [('post', {'X-Object-Meta-a': '2'})], segments_deleted=0)
    assert plan.actions[0].kind == 'post' and plan.actions[0].args == ({'X-Object-Meta-a': '2'},)
    assert plan.actions == (('post', {'X-Object-Meta-a': '2'}),) and plan.changed
    for attribute in ('reason', 'actions', 'changed', 'returns', 'after'):
        with pytest.raises(AttributeError, match='immutable'):
            setattr(plan, attribute, None)
    with pytest.raises(TypeError):
        plan.returns['segments_deleted'] = 5
    assert plan.returns == {'segments_deleted': 0}
