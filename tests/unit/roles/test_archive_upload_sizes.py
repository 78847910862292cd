# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The archive_upload role checks its size variables before it creates a container, in
Jinja; the modules parse sizes with _module.parse_size. Both must accept the same forms and
read them as the same number of bytes."""

from __future__ import annotations

import os
import re

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._module import parse_size

ROLE_VARS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'archive_upload', 'vars', 'main.yml')

SAMPLES = [
    '1GiB', '1 GiB', '1GB', '64MiB', '64 MiB ', '64MB', '64M', '1.5G', '.5G', '512K', '100B', '1g', '1k',
    '1 megabyte', '1 byte', '0', ' 7 ', '1073741824', '1.5GiB',
    '64mb', '64mib', '64MIB', '1.5', '64Mb', '-1', '1 GiBB', '2 bytes', '1kb', '1Kb', '3 kilobytes', '1e3', 'lots', '',
]  # fmt: skip


@pytest.fixture(scope='module')
def role_vars():
    with open(ROLE_VARS) as f:
        return yaml.safe_load(f)


def parses(value):
    try:
        return parse_size(value, 'x')
    except ArchiveError:
        return None


@pytest.mark.parametrize('value', SAMPLES)
def test_the_role_accepts_what_the_modules_accept(value, role_vars):
    accepted = re.match(role_vars['__archive_upload_size_re'], value) is not None
    assert accepted == (parses(value) is not None), value


@pytest.mark.parametrize(
    'variable, template',
    [
        ('archive_upload_slo_threshold', '__archive_upload_threshold_bytes'),
        ('archive_upload_segment_size', '__archive_upload_segment_bytes'),
    ],
)
@pytest.mark.parametrize('value', [v for v in SAMPLES if parses(v) is not None])
def test_the_role_reads_the_same_bytes(value, variable, template, role_vars):
    # Ansible's own templating, as the role runs it.
    templar = Templar(loader=DataLoader(), variables={variable: value})
    got = templar.template(trust_as_template(role_vars[template]))
    assert int(got) == parse_size(value, 'x'), value
