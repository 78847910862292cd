# Sphinx configuration of the collection's docs site (`make docs`), made with
# `antsibull-docs sphinx-init` and changed for an offline build: the one intersphinx target,
# Ansible's docs, comes from a local inventory (inventory.py writes it) of the two labels
# the generated pages link to.

import os

project = 'ncloud.archive'
copyright = 'ncloud.archive contributors'
title = 'ncloud.archive'
html_short_title = 'ncloud.archive'

extensions = ['sphinx.ext.intersphinx', 'sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

intersphinx_mapping = {
    'ansible_devel': (
        'https://docs.ansible.com/projects/ansible/devel/',
        os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ansible_devel.inv'),
    ),
}

default_role = 'any'
nitpicky = True
