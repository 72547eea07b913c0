# printfleet.mve: two entry points for a fresh Debian 12 machine (run as root, or with sudo for apt-get).
#   make demo   runs playbooks/site.yml against the local lab that it starts itself
#   make test   runs the whole test suite (unit, integration, sanity, lint, molecule)
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
COLL_ROOT := $(CURDIR)/build/collections
COLL_DIR := $(COLL_ROOT)/ansible_collections/printfleet/mve
# `make oldest`: the oldest ansible-core that meta/runtime.yml's requires_ansible claims, in its own venv (under
# build/, so that collection builds, sanity, lint and git leave it alone) with its own installed collection.
OLDEST_ANSIBLE_CORE := ansible-core>=2.16,<2.17
OLDEST_VENV := $(CURDIR)/build/venv-oldest
OLDEST_BIN := $(OLDEST_VENV)/bin
OLDEST_COLL_ROOT := $(CURDIR)/build/collections-oldest
OLDEST_TESTS := tests/unit tests/integration/test_smtp_check.py
LAB_DIR ?= $(CURDIR)/.lab
LAB_PRINTERS ?= 3
APT_PACKAGES := snmpd snmp nftables iproute2 nmap openssl rsync shellcheck \
	slapd ldap-utils krb5-kdc krb5-admin-server krb5-user firebird3.0-server chromium firewalld
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export ANSIBLE_HOME := $(CURDIR)/build/ansible-home
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/build/ansible-tmp
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0
export PATH := $(BIN):$(PATH)
export MIBS :=

.PHONY: help os-deps venv collection lab-up lab-down demo test unit integration oldest sanity lint molecule molecule-windows docs clean bench fuzz

help:
	@echo "make demo   - start the local lab and run playbooks/site.yml against it"
	@echo "make test   - run the whole test suite (what .ci/run runs)"
	@echo "make bench  - run the benchmarks in bench/"
	@echo "make oldest - unit tests and one integration test on the oldest ansible-core claimed (2.16)"
	@echo "make lab-up / make lab-down - start / stop the lab alone"

os-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BIN)/.installed: requirements.txt requirements-test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

venv: $(BIN)/.installed

# Build the collection tarball and install it, exactly as a user would.
collection: venv
	rm -rf build/dist && mkdir -p build/dist $(COLL_ROOT)
	$(BIN)/ansible-galaxy collection build --force --output-path build/dist . >/dev/null
	$(BIN)/ansible-galaxy collection install --force -p $(COLL_ROOT) build/dist/printfleet-mve-*.tar.gz >/dev/null
	@echo "installed printfleet.mve into $(COLL_ROOT)"

lab-up: os-deps venv
	$(BIN)/python lab/lab.py up --dir $(LAB_DIR) --printers $(LAB_PRINTERS)

lab-down:
	-$(BIN)/python lab/lab.py down --dir $(LAB_DIR)

# The lab's ansible.cfg brings the lab's connection plugin for mvewin01, the simulated Windows MVE server.
DEMO_PLAYBOOK := ANSIBLE_CONFIG=$(LAB_DIR)/ansible.cfg $(BIN)/ansible-playbook -i $(LAB_DIR)/inventory.yml
DEMO_REPORT := -e mve_compliance_report_dir=$(LAB_DIR)/compliance-report

# The demo's story: converge, drift one printer behind the collection's back, the compliance run finds exactly
# that drift (and fails, as a scheduled AWX run would), site.yml repairs it, compliance passes.
demo: os-deps collection lab-up
	$(DEMO_PLAYBOOK) playbooks/site.yml
	$(BIN)/python lab/lab.py drift --dir $(LAB_DIR) --printer 1
	@if $(DEMO_PLAYBOOK) playbooks/compliance.yml $(DEMO_REPORT); then \
	  echo "demo: the compliance run missed the drift"; exit 1; \
	else \
	  echo "demo: compliance found the drift above and failed, as it should; HTML report: $(LAB_DIR)/compliance-report/compliance.html"; \
	fi
	$(DEMO_PLAYBOOK) playbooks/site.yml
	$(DEMO_PLAYBOOK) playbooks/compliance.yml $(DEMO_REPORT)
	@echo "demo: converged, drifted, found, repaired. Report: $(LAB_DIR)/compliance-report/compliance.html"

docs: venv
	$(BIN)/python scripts/gen_ports_doc.py

unit: venv
	$(BIN)/python -m pytest -q tests/unit

integration: os-deps collection
	$(BIN)/python -m pytest -q tests/integration

# requirements.txt without its ansible-core line, and requirements-test.txt without the tools that `make oldest`
# does not run (ansible-lint, molecule, antsibull-changelog: they want a newer ansible-core).
$(OLDEST_BIN)/.installed: requirements.txt requirements-test.txt
	test -x $(OLDEST_BIN)/python || $(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_BIN)/python -m pip install -q --disable-pip-version-check -U pip
	{ grep -v '^ansible-core' requirements.txt; \
	  grep -viE '^(-r |ansible-lint|molecule|antsibull-changelog)' requirements-test.txt; } > $(OLDEST_VENV)/requirements.txt
	$(OLDEST_BIN)/python -m pip install -q --disable-pip-version-check '$(OLDEST_ANSIBLE_CORE)' -r $(OLDEST_VENV)/requirements.txt
	touch $@

# The collection built and installed by 2.16's own ansible-galaxy; the integration test runs 2.16's ansible
# (tests/integration/labtools.py takes the ansible beside the Python that runs pytest).
oldest: os-deps $(OLDEST_BIN)/.installed
	rm -rf build/dist-oldest $(OLDEST_COLL_ROOT) && mkdir -p build/dist-oldest $(OLDEST_COLL_ROOT)
	$(OLDEST_BIN)/ansible-galaxy collection build --force --output-path build/dist-oldest . >/dev/null
	ANSIBLE_COLLECTIONS_PATH=$(OLDEST_COLL_ROOT) $(OLDEST_BIN)/ansible-galaxy collection install --force -p $(OLDEST_COLL_ROOT) build/dist-oldest/printfleet-mve-*.tar.gz >/dev/null
	$(OLDEST_BIN)/python -c 'import ansible.release as r; print("ansible-core", r.__version__)'
	PATH=$(OLDEST_BIN):$$PATH ANSIBLE_COLLECTIONS_PATH=$(OLDEST_COLL_ROOT) $(OLDEST_BIN)/python -m pytest -q $(OLDEST_TESTS)

sanity: collection
	bash scripts/sanity.sh

lint: collection
	$(BIN)/ansible-lint --profile production --offline

# The site scenario, then each role alone inside a playbook of its own (every scenario but the opt-in windows one).
MOLECULE_SCENARIOS := default role_firewall role_printers role_port_check role_dependencies
molecule: os-deps collection
	cd extensions && for s in $(MOLECULE_SCENARIOS); do \
	  { $(BIN)/molecule reset -s $$s >/dev/null 2>&1 || true; } && $(BIN)/molecule test -s $$s || exit 1; \
	done

# Opt-in: needs a real Windows host (docs/windows.md). Never part of `make test`.
molecule-windows: collection
	@test -n "$$PFMVE_WINDOWS_HOST" -a -n "$$PFMVE_WINDOWS_PRINTER" -a -n "$$PFMVE_WINDOWS_DATABASE" || { echo "set PFMVE_WINDOWS_HOST, PFMVE_WINDOWS_USER, PFMVE_WINDOWS_PASSWORD, PFMVE_WINDOWS_PRINTER, PFMVE_WINDOWS_DATABASE (docs/windows.md)"; exit 2; }
	cd extensions && $(BIN)/molecule test -s windows

test: os-deps collection
	$(BIN)/python -m pytest -q tests/unit tests/integration
	$(MAKE) --no-print-directory oldest
	$(MAKE) --no-print-directory sanity lint molecule

# The benchmarks, then docs/benchmarks.md and docs/benchmarks.svg from their figures (bench/scale.py report).
# The wall-time ratios first, before printer_facts.py's 20 forks load the machine.
# site.yml at 1,000 printers takes about 4 minutes (lab, first run 54 s, rerun 52 s, SNMPv3 from Windows): make
# bench measures 100; `make bench BENCH_SITE_SIZES=100,1000` both (the report also shows bench/results/site.json,
# measured by hand, and bench/results/site-loop.json, before the port access became one task).
BENCH_SITE_SIZES ?= 100
$(BIN)/.bench-installed: $(BIN)/.installed requirements-bench.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-bench.txt
	touch $@

bench: os-deps collection $(BIN)/.bench-installed
	$(BIN)/python bench/scale.py ratios --sizes 1,1000,10000 --repeat 1 --best-of 3 --details default,failures
	$(BIN)/python bench/scale.py windows --sizes 1000,10000 --best-of 2
	$(BIN)/python bench/run.py
	$(BIN)/python bench/firewall_nft.py
	$(BIN)/python bench/firewall_windows_roundtrips.py
	$(BIN)/python bench/printer_facts.py
	$(BIN)/python bench/scale.py curve --sizes 100,1000,10000
	$(BIN)/python bench/scale.py matrix --printers 1000
	$(BIN)/python bench/scale.py site --sizes $(BENCH_SITE_SIZES)
	$(BIN)/python bench/scale.py report

# Coverage-guided fuzzing (atheris/libFuzzer) of every reply parser, FUZZ_SECONDS each, seeded from the targets'
# seeds (tests/support/fuzz_targets.py); not part of `make test` (tests/unit/fuzz/ is, with hypothesis).
# A crash leaves its input in build/fuzz/artifacts/<target>-crash-*: make it a regression test in tests/unit/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= snmp snmp_usm tds firebird smtp ldap kerberos mdns ews framing nft windows_firewall firewalld
FUZZ_DIR := $(CURDIR)/build/fuzz

$(BIN)/.fuzz-installed: requirements-fuzz.txt $(BIN)/.installed
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-fuzz.txt
	touch $@

fuzz: $(BIN)/.fuzz-installed
	@mkdir -p $(FUZZ_DIR)/artifacts; failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  $(BIN)/python fuzz/fuzz_$$t.py $(FUZZ_DIR)/corpus/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=30 \
	    -rss_limit_mb=4096 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- -print_final_stats=1 \
	    > $(FUZZ_DIR)/$$t.log 2>&1 || failed="$$failed $$t"; \
	  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|Uncaught Python exception|^[A-Za-z.]*(Error|Exception):' \
	    $(FUZZ_DIR)/$$t.log | head -n 4 | sed 's/^/  /'; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed (inputs in $(FUZZ_DIR)/artifacts, logs in $(FUZZ_DIR))"; exit 1; fi

clean: lab-down
	rm -rf build .lab
