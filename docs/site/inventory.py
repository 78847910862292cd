"""Write ansible_devel.inv, a Sphinx inventory of the labels of Ansible's docs that the pages
antsibull-docs generates refer to, so that the site builds offline with warnings as errors.

Usage: python inventory.py DIR
"""

import os
import sys
import zlib

LABELS = {
    'ansible_configuration_settings': (
        'reference_appendices/config.html#ansible-configuration-settings',
        'Ansible Configuration Settings',
    ),
    'common_return_values': ('reference_appendices/common_return_values.html#common-return-values', 'Return Values'),
}


def main(directory):
    lines = ''.join('%s std:label -1 %s %s\n' % (label, uri, title) for label, (uri, title) in sorted(LABELS.items()))
    header = (
        b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
        b'# The remainder of this file is compressed using zlib.\n'
    )
    with open(os.path.join(directory, 'ansible_devel.inv'), 'wb') as handle:
        handle.write(header + zlib.compress(lines.encode('utf-8')))


if __name__ == '__main__':
    main(sys.argv[1])
