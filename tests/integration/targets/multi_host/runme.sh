#!/usr/bin/env bash
# Six inventory hosts (all local) archive into one container and one segment container at
# once, with forks 6, then each restores its own prefix elsewhere.
set -eux
ansible-playbook -i inventory.ini -f 6 -e @../../integration_config.yml \
    -e "ansible_python_interpreter=$(command -v python3)" six_hosts.yml "$@"
