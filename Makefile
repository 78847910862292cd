# ncloud.archive: `make demo` runs the demo against a local lab, `make test` runs every test.
# Everything is installed by these targets: a client/test venv in .venv, the lab's server venv
# in .lab (tests/lab/lab), the built collection in build/.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
BUILD := $(CURDIR)/build
COLLECTIONS := $(BUILD)/collections
COLLECTION := $(COLLECTIONS)/ansible_collections/ncloud/archive
# The lab installs Debian's memcached (apt-get, as root) only when asked: make asks, so that
# `make test` on a fresh machine runs the lab the figures in docs/benchmarks.md were measured
# on. `make test LAB_INSTALL_PACKAGES=0` leaves the system's packages and services alone.
LAB_INSTALL_PACKAGES ?= 1
LAB := LAB_INSTALL_PACKAGES=$(LAB_INSTALL_PACKAGES) $(CURDIR)/tests/lab/lab
ANSIBLE_TEST := cd $(COLLECTION) && $(BIN)/ansible-test

export ANSIBLE_HOME := $(BUILD)/ansible-home
export ANSIBLE_REMOTE_TMP := $(BUILD)/ansible-tmp
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_FORCE_COLOR := 0
export ANSIBLE_NOCOLOR := 1
export PATH := $(BIN):$(PATH)

.PHONY: demo test check venv lint-venv collection lint ee docs sanity unit units integration modern matrix new-user guide molecule system bench bench-tree bench-wan lab-up lab-down clean

demo: venv lab-up collection
	@eval "$$($(LAB) env)" && $(BIN)/ansible-playbook ncloud.archive.demo
	@echo "The lab is still up: 'tests/lab/lab down' stops it, 'eval \"\$$(tests/lab/lab env)\"' uses it."

# Lab up, every suite, lab down again even when a suite failed.
test: venv
	@rc=0; $(LAB) up && $(MAKE) --no-print-directory check || rc=$$?; \
	$(LAB) down >/dev/null; \
	if [ $$rc -eq 0 ]; then echo "make test: all suites passed"; else echo "make test: FAILED ($$rc)"; fi; \
	exit $$rc

check: collection lint ee docs sanity units integration modern matrix new-user guide molecule system

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2> >(grep -v "is ignored: it is neither" >&2)
	$(CURDIR)/tests/tools/ansible-test-offline-pip $(BIN)/python
	touch $@

venv: $(BIN)/.installed

# Lint and docs tools in a venv of their own (requirements-lint.txt): ansible-lint and
# antsibull bring versions of ansible-compat and sphinx that the test venv need not share.
LINT_VENV := $(CURDIR)/.venv-lint
LINT_BIN := $(LINT_VENV)/bin
$(LINT_BIN)/.installed: requirements-lint.txt
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_BIN)/pip install --quiet --disable-pip-version-check -r requirements-lint.txt 2> >(grep -v "is ignored: it is neither" >&2)
	touch $@

lint-venv: $(LINT_BIN)/.installed

# Built and installed the way a user gets it, so packaging is tested too. ansible-test lists
# files with git from the nearest .git: the installed copy gets its own, or it would find the
# repo's (where build/ is ignored) and test nothing. Its --venv venv is kept across builds.
KEEP := $(BUILD)/ansible-test-delegation
collection: venv
	rm -rf $(BUILD)/dist $(KEEP)
	if [ -d $(COLLECTION)/tests/output/.tmp/delegation ]; then mv $(COLLECTION)/tests/output/.tmp/delegation $(KEEP); fi
	rm -rf $(COLLECTION)
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist . >/dev/null
	$(BIN)/ansible-galaxy collection install --force -p $(COLLECTIONS) $(BUILD)/dist/ncloud-archive-*.tar.gz 2>&1 | grep -v 'part of the pip Ansible package' || true
	test -f $(COLLECTION)/MANIFEST.json
	git -C $(COLLECTION) init -q
	if [ -d $(KEEP) ]; then mkdir -p $(COLLECTION)/tests/output/.tmp && mv $(KEEP) $(COLLECTION)/tests/output/.tmp/delegation; fi

SHELL_SCRIPTS := .ci/run benchmarks/run benchmarks/run-tree benchmarks/run-wan tests/lab/lab tests/tools/ansible-test-offline-pip \
	tests/tools/install-chromium tests/tools/new-user docs/site/build.sh tests/integration/targets/multi_host/runme.sh

# galaxy-importer (requirements-lint.txt) is the code galaxy.ansible.com and Automation Hub
# run on every upload: `make lint` runs it on the built tarball with the settings of
# tests/tools/galaxy-importer.cfg: ansible-doc, ansible-lint (production profile, offline),
# flake8, the changelog and Hub's required tags; not Hub's 1.0.0 version floor (the collection
# is 0.x), nor ansible-test, which the importer runs in a container (`make sanity` runs it).
# It fails when the import fails (a role without README.md, say), on any ERROR or CRITICAL
# line, and on any WARNING (a missing changelog, an ansible-lint finding, ansible-lint or
# flake8 not found) except these two of its flake8 on plugins/, left because the code is
# formatted by `ruff format` and flake8 runs with --isolated and options of the importer's own
# (--select E,F,W), so no config file of ours can reach it; Galaxy shows them as warnings and
# imports the collection:
# - W503 "line break before binary operator": ruff format (like black) breaks long
#   expressions before the operator, as PEP 8 recommends; pycodestyle leaves W503 out by
#   default, the importer's --select E,F,W brings it back.
# - E203 "whitespace before ':'": ruff format writes a slice with a complex bound as
#   `a[len(b) + 1 :]`, treating the colon like a binary operator, as PEP 8 asks.
# It takes 12 to 25 s on 2 cores (about half of it ansible-doc, then ansible-lint and flake8);
# its log and importer_result.json go to $(BUILD)/galaxy-importer.
IMPORT := $(BUILD)/galaxy-importer
IMPORT_FLAKE8_EXPLAINED = ^WARNING: plugins/[^ ]+\.py:[0-9]+:[0-9]+: (W503 line break before binary operator|E203 whitespace before ':')$$

# Every linter, clean, no ignores: ruff (ruff.toml), shellcheck, ansible-lint's production
# profile, antsibull-docs on the built collection's docs, antsibull-changelog, galaxy-importer.
lint: venv lint-venv collection
	$(LINT_BIN)/ruff check --no-cache .
	$(LINT_BIN)/ruff format --check --no-cache .
	$(BIN)/shellcheck $(SHELL_SCRIPTS)
	$(LINT_BIN)/ansible-lint --offline --profile production --nocolor
	cd $(COLLECTION) && PATH=$(LINT_BIN):$$PATH $(LINT_BIN)/antsibull-docs lint-collection-docs --plugin-docs .
	$(LINT_BIN)/antsibull-changelog lint
	rm -rf $(IMPORT) && mkdir -p $(IMPORT)/tmp
	@start=$$(date +%s); rc=0; \
	(cd $(IMPORT) && PATH=$(LINT_BIN):$$PATH GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/tools/galaxy-importer.cfg \
	  GALAXY_IMPORTER_TMP_ROOT_DIR=$(IMPORT)/tmp GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$(IMPORT)/tmp \
	  $(LINT_BIN)/python -m galaxy_importer.main $(BUILD)/dist/ncloud-archive-*.tar.gz) 2>&1 | tee $(IMPORT)/import.log || rc=$$?; \
	grep -q '^Importer processing completed successfully$$' $(IMPORT)/import.log || { [ $$rc -ne 0 ] || rc=1; }; \
	errors=$$(grep -cE '^(ERROR|CRITICAL)' $(IMPORT)/import.log || true); \
	warnings=$$(grep -c '^WARNING' $(IMPORT)/import.log || true); \
	unexplained=$$(grep '^WARNING' $(IMPORT)/import.log | grep -cEv "$(IMPORT_FLAKE8_EXPLAINED)" || true); \
	echo "galaxy-importer: exit status $$rc, $$errors errors, $$warnings warnings ($$unexplained not explained in the Makefile), $$(( $$(date +%s) - start )) s"; \
	[ $$rc -eq 0 ] && [ "$$errors" -eq 0 ] && [ "$$unexplained" -eq 0 ]

# The execution environment (meta/execution-environment.yml, the shipped definition):
# ansible-builder writes its build context (no image: no container engine here), then runs
# the context's own introspection the way the image build does, on the installed collection
# plus the definition's requirements: both must yield python-swiftclient and keystoneauth1.
ee: lint-venv collection
	rm -rf $(BUILD)/ee
	$(LINT_BIN)/ansible-builder create -f $(COLLECTION)/meta/execution-environment.yml --context $(BUILD)/ee --output-filename Containerfile
	$(LINT_BIN)/python $(BUILD)/ee/_build/scripts/introspect.py introspect --user-pip $(BUILD)/ee/_build/requirements.txt $(COLLECTIONS) > $(BUILD)/ee/introspect.yml
	cat $(BUILD)/ee/introspect.yml
	for pkg in python-swiftclient keystoneauth1; do for origin in ncloud.archive user; do \
	  grep -q "^- '$$pkg>=.*# from collection $$origin'$$" $(BUILD)/ee/introspect.yml || { echo "make ee: $$pkg not required by $$origin"; exit 1; }; \
	done; done

# The docs site (docs/site: antsibull-docs + sphinx, warnings as errors) of the installed
# collection, then opened in headless Chromium (Debian's, installed when missing): every
# module and role page must render its options table; a screenshot of the index is saved.
DOCS := $(BUILD)/docs
docs: lint-venv collection
	PATH=$(LINT_BIN):$$PATH $(CURDIR)/docs/site/build.sh $(DOCS)
	$(CURDIR)/tests/tools/install-chromium > $(BUILD)/chromium-path
	PATH=$(LINT_BIN):$$PATH $(LINT_BIN)/python $(CURDIR)/tests/tools/docs_check.py $(DOCS)/build/html $(COLLECTION) "$$(cat $(BUILD)/chromium-path)"

sanity: collection
	$(ANSIBLE_TEST) sanity --venv --python 3.11 --color no 2>&1 | tee $(BUILD)/sanity.log
	! grep -q 'All targets skipped' $(BUILD)/sanity.log

units: collection
	$(ANSIBLE_TEST) units --venv --python 3.11 --color no

# The unit tests in seconds, without the lab or a build: pytest on the work tree, reached as
# ansible_collections/ncloud/archive through a symlink that exists only while they run.
# (`make units` runs the same tests with ansible-test on the installed tarball, in CI.)
UNIT_ROOT := $(BUILD)/unit
unit: venv
	rm -rf $(UNIT_ROOT) && mkdir -p $(UNIT_ROOT)/ansible_collections/ncloud
	ln -s $(CURDIR) $(UNIT_ROOT)/ansible_collections/ncloud/archive
	cd $(UNIT_ROOT)/ansible_collections/ncloud/archive && PYTHONPATH=$(UNIT_ROOT) $(BIN)/python -m pytest -p no:cacheprovider -q tests/unit; \
	  rc=$$?; rm -rf $(UNIT_ROOT); exit $$rc

integration: collection
	$(BIN)/python $(CURDIR)/tests/tools/integration_config.py > $(COLLECTION)/tests/integration/integration_config.yml
	$(ANSIBLE_TEST) integration --venv --python 3.11 --color no

# The suites run against the lab in pike mode (the default: it answers like NAVER's Swift
# 2.15.1, tests/lab/README.md). This runs the archive_sync and archive_object targets once more
# against Swift 2.38's own answers (LAB_MODERN=1: slo_etag in listings, 8 MiB manifests),
# then returns the lab to pike, also when a target failed (whose exit status it keeps).
modern:
	@rc=0; LAB_MODERN=1 $(LAB) up && \
	  $(BIN)/python $(CURDIR)/tests/tools/integration_config.py > $(COLLECTION)/tests/integration/integration_config.yml && \
	  ($(ANSIBLE_TEST) integration --venv --python 3.11 --color no archive_sync archive_object) || rc=$$?; \
	if ! $(LAB) up; then [ $$rc -ne 0 ] || rc=1; fi; \
	exit $$rc

# The ansible-core matrix. meta/runtime.yml claims >=2.19.14: the suites above run the lowest,
# 2.19.14 (Python 3.11); this runs the highest, 2.21.5, which needs Python 3.12 (pyenv's, on
# these machines): sanity, units and the archive_object target, on its own install of the tarball.
MATRIX_CORE := 2.21.5
PYTHON_HIGH ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12))
MATRIX_VENV := $(CURDIR)/.venv-core-$(MATRIX_CORE)
MATRIX_BIN := $(MATRIX_VENV)/bin
MATRIX := $(BUILD)/matrix
MATRIX_COLLECTION := $(MATRIX)/ansible_collections/ncloud/archive
MATRIX_TEST := cd $(MATRIX_COLLECTION) && PATH=$(MATRIX)/bin:$(MATRIX_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(MATRIX) $(MATRIX_BIN)/ansible-test
$(MATRIX_BIN)/.installed:
	@test -n "$(PYTHON_HIGH)" || { echo "make matrix: no python3.12 found; set PYTHON_HIGH=/path/to/python3.12"; exit 1; }
	$(PYTHON_HIGH) -m venv $(MATRIX_VENV)
	$(MATRIX_BIN)/pip install --quiet --disable-pip-version-check ansible-core==$(MATRIX_CORE) 2> >(grep -v "is ignored: it is neither" >&2)
	$(CURDIR)/tests/tools/ansible-test-offline-pip $(MATRIX_BIN)/python
	touch $@

matrix: venv collection $(MATRIX_BIN)/.installed
	rm -rf $(MATRIX)
	mkdir -p $(MATRIX)/bin
	# ansible-test looks for python3.12 on PATH, where pyenv's shim would refuse to run it.
	ln -s $(PYTHON_HIGH) $(MATRIX)/bin/python3.12
	ANSIBLE_COLLECTIONS_PATH=$(MATRIX) $(MATRIX_BIN)/ansible-galaxy collection install --force -p $(MATRIX) $(BUILD)/dist/ncloud-archive-*.tar.gz >/dev/null
	git -C $(MATRIX_COLLECTION) init -q
	$(BIN)/python $(CURDIR)/tests/tools/integration_config.py > $(MATRIX_COLLECTION)/tests/integration/integration_config.yml
	$(MATRIX_TEST) --version
	$(MATRIX_TEST) sanity --venv --python 3.12 --color no 2>&1 | tee $(BUILD)/matrix-sanity.log
	! grep -q 'All targets skipped' $(BUILD)/matrix-sanity.log
	$(MATRIX_TEST) units --venv --python 3.12 --color no
	$(MATRIX_TEST) integration --venv --python 3.12 --color no archive_object

# The built tarball as a new user gets it: a fresh venv with only what README.md installs;
# ansible-doc of every module and role, then the demo playbook against the lab.
new-user: venv collection
	eval "$$($(LAB) env)" && $(CURDIR)/tests/tools/new-user $(BUILD)/dist/ncloud-archive-*.tar.gz $(PYTHON)

# The getting-started guide (docs/docsite/rst) run as written against the lab: its tasks twice
# (the second run changes nothing), its backup and restore plays, the restore compared.
guide: venv collection
	eval "$$($(LAB) env)" && $(BIN)/python $(CURDIR)/tests/tools/guide_check.py $(CURDIR)/docs/docsite/rst/getting_started.rst

# The archive_upload role on localhost (extensions/molecule/default), against the built collection.
molecule:
	eval "$$($(LAB) env)" && $(BIN)/molecule test

# The fault suite (tests/system, docs/reliability.md): the built collection through a
# fault-injecting proxy in front of the lab, and the bad-input catalogue.
system: collection
	ARCHIVE_COLLECTIONS_PATH=$(COLLECTIONS) $(BIN)/python -m pytest -p no:cacheprovider -q -rfE tests/system

# Benchmarks against the lab (docs/benchmarks.md); never part of `make test`.
bench: venv lab-up
	$(CURDIR)/benchmarks/run

bench-tree: venv lab-up collection
	$(CURDIR)/benchmarks/run-tree

# The WAN profile (docs/benchmarks.md): the module, the swift CLI and rclone through a relay
# that adds a round-trip time per request and caps bandwidth; the module runs from the work tree.
bench-wan: venv lab-up
	$(CURDIR)/benchmarks/run-wan

lab-up:
	$(LAB) up

lab-down:
	$(LAB) down

clean:
	rm -rf $(BUILD)
