# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ncloud.archive contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_module's pure parts: the one size parser of every option that takes bytes, and the
elapsed time and rate of a transfer."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.ncloud.archive.plugins.module_utils._errors import ArchiveError
from ansible_collections.ncloud.archive.plugins.module_utils._module import parse_size, transfer_rate

KIB, MIB, GIB, TIB = 2**10, 2**20, 2**30, 2**40

ACCEPTED = [
    (0, 0),
    (67108864, 67108864),
    ('67108864', 67108864),
    (' 1024 ', 1024),
    ('0', 0),
    # IEC units, with or without a space
    ('64MiB', 64 * MIB),
    ('64 MiB', 64 * MIB),
    ('1GiB', GIB),
    ('1 GiB', GIB),
    ('512KiB', 512 * KIB),
    ('2TiB', 2 * TIB),
    ('1.5GiB', GIB * 3 // 2),
    ('1 PiB', 2**50),
    # Ansible's human_to_bytes units, which keep their meaning (MB = 2**20)
    ('64MB', 64 * MIB),
    ('64 MB', 64 * MIB),
    ('1GB', GIB),
    ('1 GB', GIB),
    ('1.5G', GIB * 3 // 2),
    ('512K', 512 * KIB),
    ('10M', 10 * MIB),
    ('2TB', 2 * TIB),
    ('100B', 100),
    ('1 megabyte', MIB),
]

REFUSED = [
    '1 GiBB',
    'lots',
    '',
    '   ',
    '-1',
    -1,
    '1.5',  # a fraction of a byte
    1.5,
    True,
    False,
    '64mb',  # human_to_bytes takes MB, not mb
    '64Mb',  # megabits
    '64 MiBs',
    '64Mi',
    '0x40',
    '1e9',
    '64 MiB 2',
    [64],
    {'size': 64},
]


@pytest.mark.parametrize('value, expected', ACCEPTED, ids=[repr(v) for v, _e in ACCEPTED])
def test_sizes_the_options_take(value, expected):
    assert parse_size(value, 'segment_size') == expected


def test_iec_and_ansible_units_mean_the_same():
    assert parse_size('1GiB', 'o') == parse_size('1GB', 'o') == parse_size('1 GiB', 'o') == 1073741824
    assert parse_size('64MiB', 'o') == parse_size('64MB', 'o') == 67108864


@pytest.mark.parametrize('value', ['64MB', '1 GB', '1.5G', '512K', '2TB', '100B', '7b', '3 gigabyte', '10M'])
def test_every_form_human_to_bytes_takes_keeps_its_meaning(value):
    assert parse_size(value, 'segment_size') == human_to_bytes(value)


def test_not_given_is_none():
    assert parse_size(None, 'segment_size') is None


@pytest.mark.parametrize('value', REFUSED, ids=[repr(v) for v in REFUSED])
def test_anything_else_gets_the_one_message(value):
    with pytest.raises(ArchiveError) as error:
        parse_size(value, 'slo_threshold')
    assert error.value.message == (
        "slo_threshold: '%s' is not a size: use bytes (67108864) or a number with a unit, "
        'e.g. 64MiB, 64MB or 1GiB' % (value,)
    )


def test_the_example_message():
    with pytest.raises(ArchiveError) as error:
        parse_size('1 GiBB', 'slo_threshold')
    assert error.value.message == (
        "slo_threshold: '1 GiBB' is not a size: use bytes (67108864) or a number with a unit, e.g. 64MiB, 64MB or 1GiB"
    )


@pytest.mark.parametrize(
    'moved, seconds, expected',
    [
        (0, 2.0, {'elapsed': 2.0, 'bytes_per_second': 0}),
        (3 * MIB, 2.0, {'elapsed': 2.0, 'bytes_per_second': 3 * MIB // 2}),
        (1000, 3.0, {'elapsed': 3.0, 'bytes_per_second': 333}),
        (2000, 3.0, {'elapsed': 3.0, 'bytes_per_second': 667}),
        (1234, 1.23456, {'elapsed': 1.235, 'bytes_per_second': round(1234 / 1.23456)}),
        # Rounded for the result, not for the rate: a quick transfer still has one.
        (1000, 0.0004, {'elapsed': 0.0, 'bytes_per_second': 2500000}),
        # A clock that did not move: no rate rather than a division by zero.
        (1000, 0.0, {'elapsed': 0.0, 'bytes_per_second': 0}),
    ],
)
def test_transfer_rate(moved, seconds, expected):
    result = transfer_rate(moved, seconds)
    assert result == expected
    assert isinstance(result['elapsed'], float) and isinstance(result['bytes_per_second'], int)
