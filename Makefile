# Berth — ECS and ECR on Kubernetes. Targets follow kubebuilder's names.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

# Tools are cached outside the work tree, keyed by version, so clean clones start fast.
BERTH_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/berth
TOOLS_DIR ?= $(BERTH_CACHE)/tools
export BERTH_CACHE

CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
CONTROLLER_GEN ?= $(TOOLS_DIR)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT ?= $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)

IMG ?= berth:dev
# Extra flags of hack/image (`go run ./hack/image -h`), e.g. IMAGE_FLAGS=-insecure for a plain-HTTP registry.
IMAGE_FLAGS ?=
GO_TEST_FLAGS ?=

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-18s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs (config/crd/bases) and RBAC (config/rbac/role.yaml).
	$(CONTROLLER_GEN) rbac:roleName=berth-controller crd:generateEmbeddedObjectMeta=false,allowDangerousTypes=true paths="./api/..." paths="./controllers/..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	hack/sync-chart-crds.sh

.PHONY: generate
generate: controller-gen ## Generate deepcopy functions.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run go fmt.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint.
	$(GOLANGCI_LINT) run --allow-parallel-runners ./...

.PHONY: helm-lint
helm-lint: ## Lint the Helm chart (charts/berth) with its defaults and each charts/berth/ci/*-values.yaml.
	helm="$$(hack/setup-tools.sh)/helm"; \
	"$$helm" lint --strict charts/berth; \
	for f in charts/berth/ci/*-values.yaml; do "$$helm" lint --strict charts/berth --values "$$f"; done

.PHONY: verify
verify: manifests generate ## Fail when generated files are stale or a package imports a higher layer.
	hack/verify-generated.sh
	hack/check-layers.sh

.PHONY: setup-tools
setup-tools: ## Build or reuse kube-apiserver, scheduler, controller-manager, kubectl, etcd, kwok (cached).
	hack/setup-tools.sh >/dev/null

.PHONY: test
test: manifests generate setup-tools ## Run every test: unit, golden, envtest (real kube-apiserver + etcd).
	hack/test.sh $(GO_TEST_FLAGS)

.PHONY: test-stress
test-stress: manifests generate setup-tools ## Run the whole suite RUNS times (default 10) with a core kept busy; reports each run.
	hack/test-stress.sh $(or $(RUNS),10) $(GO_TEST_FLAGS)

.PHONY: fuzz
fuzz: ## Run every fuzz target briefly (FUZZTIME=10s each by default).
	hack/fuzz.sh

.PHONY: test-e2e
test-e2e: setup-tools ## Run end-to-end tests against the kwok sandbox.
	hack/test.sh -e2e $(GO_TEST_FLAGS)

.PHONY: test-node
test-node: setup-tools ## Run the real-node tests: a kubelet, kube-proxy and containerd join the sandbox (root).
	hack/test.sh -node $(GO_TEST_FLAGS)

.PHONY: bench
bench: setup-tools ## Measure the figures of docs/budgets.md (P1–P7) against references in the same run.
	hack/bench.sh bench $(GO_TEST_FLAGS)

.PHONY: soak
soak: setup-tools ## Run the reliability soaks of docs/budgets.md (R1–R3).
	hack/bench.sh soak $(GO_TEST_FLAGS)

##@ Build

.PHONY: build
build: ## Build the binaries of cmd/ (manager, registry, kubectl-berth, docker-credential-berth) into bin/.
	CGO_ENABLED=0 go build -trimpath -o bin/ ./cmd/...

.PHONY: run
run: build setup-tools ## Bring up the kwok sandbox with Berth and its samples (REAL_NODE=1: and a real node, root; STORAGE=s3: images in SeaweedFS).
	BERTH_REAL_NODE=$(REAL_NODE) BERTH_STORAGE=$(STORAGE) hack/sandbox.sh up

.PHONY: stop
stop: ## Stop what `make run` started and remove the sandbox cluster.
	hack/sandbox.sh down

.PHONY: image
image: ## Build the image for linux/amd64 and linux/arm64 into the OCI layout bin/image, without Docker; prints its digest.
	go run ./hack/image -oci-layout bin/image $(IMAGE_FLAGS)

.PHONY: image-push
image-push: ## Build the image and push it to IMG, a registry of yours (IMG=registry.example.com/berth:dev); prints its digest.
	go run ./hack/image -oci-layout bin/image -push "$(IMG)" $(IMAGE_FLAGS)

.PHONY: test-image
test-image: ## Build the real image (cross-compiling both platforms) and check it: reproducible, contents, runs, pushes.
	BERTH_TEST_IMAGE=1 go test -count=1 -timeout 30m ./hack/image/... $(GO_TEST_FLAGS)

.PHONY: docker-build
docker-build: ## Build the image (needs a Docker engine).
	docker build -t $(IMG) .

.PHONY: docker-check
docker-check: ## Run the Dockerfile's build stage without an image builder (what CI can check).
	hack/check-dockerfile.sh

##@ Dependencies

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN)
$(CONTROLLER_GEN):
	hack/go-install-tool.sh $@ sigs.k8s.io/controller-tools/cmd/controller-gen $(CONTROLLER_TOOLS_VERSION)

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT)
$(GOLANGCI_LINT):
	hack/go-install-tool.sh $@ github.com/golangci/golangci-lint/v2/cmd/golangci-lint $(GOLANGCI_LINT_VERSION)
