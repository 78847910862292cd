#!/usr/bin/env bash
# Six inventory hosts (all local) archive into one container and one segment container at
# once, with forks 6, then each restores its own prefix elsewhere. Then the archive_upload role
# on a tree with a symlink, read from its play recap: changed, not skipped.
set -eux
ansible-playbook -i inventory.ini -f 6 -e @../../integration_config.yml \
    -e "ansible_python_interpreter=$(command -v python3)" six_hosts.yml "$@"

recap() {
    ansible-playbook -i localhost, -e @../../integration_config.yml -e "step=$1" \
        -e "ansible_python_interpreter=$(command -v python3)" role_recap.yml
}
trap 'recap cleanup >/dev/null' EXIT
recap setup
out=$(recap role)
echo "$out"
# The role's one change (its archive_sync run) shows as changed; nothing failed.
grep -Eq '^localhost +: ok=[0-9]+ +changed=1 +unreachable=0 +failed=0 ' <<<"$out"
