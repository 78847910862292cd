# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""archive_object through its entry point, against the in-memory Swift: what a user relies
on (README, "What you can rely on"): identical objects are left alone, metadata-only changes
are one POST, a download never replaces dest with bad bytes, names that would go elsewhere
are refused before any request, a 413 names the container's quota."""

from __future__ import annotations

import pytest
from ansible.module_utils import basic
from swiftclient.exceptions import ClientException

from ansible_collections.ncloud.archive.plugins.modules import archive_object
from ansible_collections.ncloud.archive.tests.unit.plugins.modules.fakeswift import Body, FakeSwift

MIB = 1024 * 1024
BULK = {'bulk_delete': {'max_deletes_per_request': 10000}}
DATA = bytes(range(256)) * 1000


@pytest.fixture
def fake():
    swift = FakeSwift()
    swift.add_container('c')
    return swift


def run(run_module, fake, **args):
    return run_module(archive_object.main, fake, info=BULK, **dict(dict(container='c', name='f.bin'), **args))


def src(tmp_path, data=DATA, name='f.bin'):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_an_upload_is_stored_once_and_then_left_alone(run_module, fake, tmp_path):
    result, failed = run(run_module, fake, src=src(tmp_path), metadata={'owner': 'dba'})
    assert not failed and result['changed'] and result['changed_reason'] == 'absent', result
    stored = fake.containers['c']['objects']['f.bin']
    assert stored['data'] == DATA and stored['headers']['x-object-meta-owner'] == 'dba'
    fake.writes = []
    again, failed = run(run_module, fake, src=src(tmp_path), metadata={'owner': 'dba'})
    assert not failed and not again['changed'] and again['changed_reason'] == 'identical'
    assert fake.writes == []


def test_a_cli_slo_of_the_same_bytes_is_identical(run_module, fake, tmp_path):
    """What `swift upload --use-slo` stored is recognised by its segments' md5s."""
    fake.add_slo('c', 'f.bin', DATA, 100000)
    fake.writes = []
    result, failed = run(run_module, fake, src=src(tmp_path))
    assert not failed and not result['changed'] and fake.writes == [], result


def test_a_metadata_change_is_one_post(run_module, fake, tmp_path):
    fake.add_object('c', 'f.bin', DATA, **{'x-object-meta-owner': 'dba', 'x-object-meta-old': '1'})
    result, failed = run(run_module, fake, src=src(tmp_path), metadata={'owner': 'ops'}, purge_metadata=True)
    assert not failed and result['changed_reason'] == 'metadata differs', result
    assert fake.writes == [('POST', 'c/f.bin')]
    assert fake.containers['c']['objects']['f.bin']['headers'] == {'x-object-meta-owner': 'ops'}


def test_delete_after_is_sent_as_an_absolute_expiry_and_kept_on_a_rerun(run_module, fake, tmp_path):
    result, failed = run(run_module, fake, content='log line\n', delete_after=86400)
    assert not failed, result
    expires = int(fake.containers['c']['objects']['f.bin']['headers']['x-delete-at'])
    assert abs(expires - (fake.clock + 86400)) <= 60
    fake.writes = []
    again, failed = run(run_module, fake, content='log line\n', delete_after=86400)
    assert not failed and not again['changed'] and fake.writes == [], again
    assert int(fake.containers['c']['objects']['f.bin']['headers']['x-delete-at']) == expires


class Damaging:
    """GETs whose first chunk arrives damaged, ``times`` times."""

    def __init__(self, fake, times):
        self.get, self.times = fake.get_object, times
        fake.get_object = self.get_object

    def get_object(self, container, name, **kwargs):
        headers, body = self.get(container, name, **kwargs)
        if self.times and isinstance(body, Body):
            self.times -= 1
            body = Body([b'X' + body[0][1:]] + list(body[1:]))
        return headers, body


def test_damaged_bytes_are_fetched_once_more_and_never_replace_dest(run_module, fake, tmp_path, monkeypatch):
    # Recorded where the module warns: how Ansible reports warnings depends on what else the
    # process imported (the roles' tests load the controller's templating).
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, msg: warned.append(msg))
    fake.add_object('c', 'f.bin', DATA)
    dest = tmp_path / 'out.bin'
    dest.write_bytes(b'the old copy')
    Damaging(fake, 1)
    result, failed = run(run_module, fake, state='downloaded', dest=str(dest))
    assert not failed and result['changed'], result
    assert dest.read_bytes() == DATA
    assert len(warned) == 1 and 'failed its md5 check' in warned[0] and warned[0].endswith('and was retried')

    dest.write_bytes(b'the old copy')
    Damaging(fake, 2)
    result, failed = run(run_module, fake, state='downloaded', dest=str(dest))
    assert failed and "'%s' was left as it was" % dest in result['msg'], result
    assert dest.read_bytes() == b'the old copy'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['out.bin']  # no temp file left


def test_overwrite_never_keeps_and_always_fetches(run_module, fake, tmp_path):
    fake.add_object('c', 'f.bin', DATA)
    dest = tmp_path / 'out.bin'
    dest.write_bytes(b'mine')
    kept, failed = run(run_module, fake, state='downloaded', dest=str(dest), overwrite='never')
    assert not failed and not kept['changed'] and dest.read_bytes() == b'mine', kept
    fetched, failed = run(run_module, fake, state='downloaded', dest=str(dest), overwrite='always')
    assert not failed and fetched['changed_reason'] == 'overwrite=always' and dest.read_bytes() == DATA
    fake.reads = []
    again, failed = run(run_module, fake, state='downloaded', dest=str(dest), overwrite='always')
    assert not failed and again['changed'] and ('GET', 'c/f.bin') in fake.reads


def test_dest_must_be_a_file_path(run_module, fake, tmp_path):
    fake.add_object('c', 'f.bin', DATA)
    result, failed = run(run_module, fake, state='downloaded', dest=str(tmp_path))
    assert (
        failed
        and "is a directory; give the path of the file to write, for example '%s/f.bin'" % tmp_path in (result['msg'])
    )
    result, failed = run(run_module, fake, state='downloaded', dest=str(tmp_path / 'no' / 'out.bin'))
    assert failed and 'does not exist' in result['msg']


@pytest.mark.parametrize('name', ['../other/f.bin', 'a/./b', 'a/../../b', './f.bin'])
def test_a_name_with_dot_segments_is_refused_before_any_request(run_module, fake, tmp_path, name):
    fake.reads = []
    result, failed = run(run_module, fake, name=name, content='x')
    assert failed and "'.' or '..'" in result['msg'], result
    assert fake.writes == [] and fake.reads == []


def test_a_413_names_the_containers_quota(run_module, fake, tmp_path):
    fake.add_container('c', **{'x-container-meta-quota-bytes': '1000'})

    def full(*_args, **_kwargs):
        raise ClientException('Object PUT failed', http_status=413, http_reason='Request Entity Too Large')

    fake.put_object = full
    result, failed = run(run_module, fake, src=src(tmp_path))
    assert failed, result
    assert (
        "container 'c' has quota_bytes=1000 (0 now): raise or remove it with ncloud.archive.archive_container"
        in (result['msg'])
    )
