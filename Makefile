# One command from a laptop to hot-reloading services in minikube. `make` lists the targets.
# Targets are documented by a `## ` comment on the rule line, variables by a `## NAME: ` line above them;
# `make help` prints both (one line each).
# Every target is .PHONY: none of them produces a file make could track. Needs GNU make >= 3.82 (tested with 4.3).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-print-directory

# A flag variable is on for 1/yes/true/on/y (so CLUSTER=0 means off).
is_true = $(filter 1 yes true on y YES TRUE,$(strip $(1)))

## SKAFFOLD: skaffold binary
SKAFFOLD ?= skaffold
## KUBECTL: kubectl binary
KUBECTL ?= kubectl
## MINIKUBE: minikube binary
MINIKUBE ?= minikube
## KUSTOMIZE: kustomize binary for render (falls back to `kubectl kustomize` when absent)
KUSTOMIZE ?= kustomize
## NPM: npm binary
NPM ?= npm
## MINIKUBE_PROFILE: minikube profile, also the kube-context of the dev cluster
MINIKUBE_PROFILE ?= minikube
## KUBE_CONTEXT: kube-context for dev/run/clean (never your current context by accident)
KUBE_CONTEXT ?= $(MINIKUBE_PROFILE)
## PROFILE: Skaffold profile for dev/run/clean, e.g. PROFILE=ci (release images, no sync)
PROFILE ?=
## SKAFFOLD_FLAGS: extra flags for skaffold, e.g. SKAFFOLD_FLAGS=--cache-artifacts=false
SKAFFOLD_FLAGS ?=
## PORT_FORWARD: run: PORT_FORWARD=1 keeps localhost:8081/8082 forwarded (skaffold stays in the foreground)
PORT_FORWARD ?=
## INSTALL: init: INSTALL=1 downloads missing minikube/kubectl/skaffold/kustomize to ~/.local/bin
INSTALL ?=
## E2E_URL: e2e: invoice-app base URL
E2E_URL ?= http://localhost:8081
## MANIFESTS_DIR: render: output directory
MANIFESTS_DIR ?= dist/manifests
## OVERLAYS: render: overlays under kustomize/overlays
OVERLAYS ?= local prod
## PROD_CONTEXT: deploy-prod: kube-context of the production cluster (required)
PROD_CONTEXT ?=
## CONFIRM: deploy-prod: CONFIRM=yes skips the interactive confirmation (CI)
CONFIRM ?=
## ROLLOUT_TIMEOUT: deploy-prod: wait this long for each rollout
ROLLOUT_TIMEOUT ?= 10m
## CLUSTER: clean: CLUSTER=1 also deletes the minikube cluster
CLUSTER ?=

SKAFFOLD_ARGS = --kube-context=$(KUBE_CONTEXT) $(if $(PROFILE),--profile=$(PROFILE)) $(SKAFFOLD_FLAGS)

.PHONY: help init dev run render deploy-prod test e2e clean doctor

help: ## Show this help (default target)
	@printf 'Usage: make <target> [VAR=value ...]\n\nTargets:\n'
	@awk -F ':.*## ' '/^[a-z][a-zA-Z0-9_-]*:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@printf '\nVariables:\n'
	@awk '/^## [A-Z][A-Z0-9_]*: / { name = $$2; sub(/:$$/, "", name); sub(/^## [A-Z0-9_]*: /, ""); printf "  %-17s %s\n", name, $$0 }' $(MAKEFILE_LIST)

init: ## Check tools, start minikube (docker runtime) with ingress, ingress-dns, metrics-server and wait (idempotent)
	bash scripts/init.sh --profile "$(MINIKUBE_PROFILE)" $(if $(call is_true,$(INSTALL)),--install)

dev: ## Dev loop: build into minikube, deploy the local overlay, sync src/**/*.ts, port-forward :8081 :8082
	$(SKAFFOLD) dev $(SKAFFOLD_ARGS)

run: ## Build and deploy once without watching (skaffold run); PORT_FORWARD=1 keeps the port-forwards
	$(SKAFFOLD) run $(SKAFFOLD_ARGS) $(if $(call is_true,$(PORT_FORWARD)),--port-forward=user --tail=false)

render: ## Render kustomize/overlays/{local,prod} to dist/manifests/<overlay>.yaml (kustomize v5 or kubectl)
	@mkdir -p "$(MANIFESTS_DIR)"
	@if command -v "$(KUSTOMIZE)" >/dev/null 2>&1; then build=("$(KUSTOMIZE)" build); else build=("$(KUBECTL)" kustomize); fi; \
	for overlay in $(OVERLAYS); do \
	  out="$(MANIFESTS_DIR)/$$overlay.yaml"; \
	  "$${build[@]}" "kustomize/overlays/$$overlay" > "$$out.tmp" || { rm -f "$$out.tmp"; exit 1; }; \
	  mv "$$out.tmp" "$$out"; \
	  echo "rendered kustomize/overlays/$$overlay -> $$out ($${build[*]})"; \
	done

deploy-prod: ## Render and kubectl-apply the prod overlay to PROD_CONTEXT after a confirmation (CONFIRM=yes in CI)
	@[[ -n "$(PROD_CONTEXT)" ]] || { echo "error: set PROD_CONTEXT=<kube-context of the production cluster>" >&2; exit 2; }
	@[[ "$(CONFIRM)" == yes || -t 0 ]] || { echo "error: no terminal to confirm on; pass CONFIRM=yes to deploy to '$(PROD_CONTEXT)'" >&2; exit 2; }
	@$(MAKE) render OVERLAYS=prod
	@if [[ "$(CONFIRM)" != yes ]]; then \
	  $(KUBECTL) --context="$(PROD_CONTEXT)" diff -f "$(MANIFESTS_DIR)/prod.yaml" || [[ $$? == 1 ]]; \
	  read -r -p "Apply kustomize/overlays/prod to '$(PROD_CONTEXT)'? Type the context name to confirm: " answer; \
	  [[ "$$answer" == "$(PROD_CONTEXT)" ]] || { echo "aborted: nothing applied" >&2; exit 1; }; \
	fi
	$(KUBECTL) --context="$(PROD_CONTEXT)" apply -f "$(MANIFESTS_DIR)/prod.yaml"
	$(KUBECTL) --context="$(PROD_CONTEXT)" -n invoicing rollout status deployment/invoice-app --timeout=$(ROLLOUT_TIMEOUT)
	$(KUBECTL) --context="$(PROD_CONTEXT)" -n payments rollout status deployment/payment-provider --timeout=$(ROLLOUT_TIMEOUT)

test: ## Run every test suite (npm test: services, contract, platform checks incl. skaffold.yaml and scripts)
	$(NPM) test

e2e: ## Pay the seed invoices through a running deployment (E2E_URL, default: make dev's localhost:8081)
	bash scripts/e2e.sh --url "$(E2E_URL)"

clean: ## Delete the deployment (skaffold delete) and dist/manifests; CLUSTER=1 also deletes the minikube cluster
	$(SKAFFOLD) delete $(SKAFFOLD_ARGS)$(if $(call is_true,$(CLUSTER)), || echo "warning: skaffold delete failed; deleting the cluster anyway" >&2)
	rm -rf "$(MANIFESTS_DIR)"
	$(if $(call is_true,$(CLUSTER)),$(MINIKUBE) delete -p "$(MINIKUBE_PROFILE)")

doctor: ## Report tool versions, cluster status and addons; never fails, lists what is missing
	@bash scripts/init.sh --doctor --profile "$(MINIKUBE_PROFILE)" || true
