# SPDX-License-Identifier: GPL-2.0-or-later
# The Ansible role (packaging/ansible/) and its test.
#
#   make check-ansible   build the packages and the programs, then run the role
#                        with ansible-playbook against a fresh Debian 12 chroot
#                        (root; needs the Debian packages ansible, debootstrap
#                        and umockdev; see tests/packaging/test_ansible.sh)
#   make lint-ansible    ansible-playbook --syntax-check of the example playbook

.PHONY: check-ansible lint-ansible

check-ansible: deb $(CTL) $(AGENT) $(HELPDESK)
	@MNG_DEB_DIR=$(abspath $(DEB_OUT)) MNG_BUILD=$(BUILD) MNG_AGENT=$(abspath $(AGENT)) \
		MNG_CTL=$(abspath $(CTL)) MNG_HELPDESK=$(abspath $(HELPDESK)) \
		sh tests/run-unit.sh tests/packaging/test_ansible.sh

lint-ansible:
	ANSIBLE_NOCOLOR=1 ansible-playbook --syntax-check \
		-i packaging/ansible/inventory/hosts.yml packaging/ansible/site.yml
