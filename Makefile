# stevedore's build and test entry points. The README gives `make example`
# and `make test`; .ci/run calls `make test SLOW=1`.

GO        ?= go
BIN       ?= bin/stevedore
# cgo is needed for libcontainer's nsenter and for seccomp; the result is static.
GOTAGS    := osusergo,netgo,seccomp
LDFLAGS   := -s -w -extldflags -static
export CGO_ENABLED := 1
export PATH := /usr/local/go/bin:$(PATH)

# SLOW=1 also runs the slow suites: BuildKit parity, real consumers.
SLOW      ?=
TESTENV   := STEVEDORE_BIN=$(CURDIR)/$(BIN) $(if $(SLOW),STEVEDORE_SLOW=1)
TIMEOUT   := $(if $(SLOW),80m,25m)

.PHONY: all build build-deps test-deps example test vet fmt-check bench parity-fuzz clean

all: build

build-deps:
	tests/install-deps build

test-deps:
	tests/install-deps test

build: build-deps
	$(GO) build -trimpath -tags $(GOTAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/stevedore

# The README's main command: build stevedore and run its main job on examples/.
example: build
	tests/example.sh $(BIN)

vet:
	$(GO) vet -tags $(GOTAGS) ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The whole test suite. -p 1 keeps suites that start daemons and sandboxes
# from fighting over 2 cores; each package still runs its tests in parallel.
test: test-deps build vet fmt-check
	$(TESTENV) $(GO) test -tags $(GOTAGS) -count=1 -p 1 -timeout $(TIMEOUT) ./...

# Benchmarks against peers in the same run (ratios, not absolute times):
# example tree cold/warm vs BuildKit, the big-dependency shape vs BuildKit
# (cold, comment-only change, peak RSS), a RUN-heavy stage0-like target vs
# BuildKit and the host, a no-op rebuild of 500 generated targets, layer
# writing vs tar|gzip, sandbox start-to-exit vs runc.
bench: test-deps build
	STEVEDORE_SLOW=1 STEVEDORE_BIN=$(CURDIR)/$(BIN) $(GO) test -tags $(GOTAGS) -run XXX -bench . -benchtime 3x ./tests/parity/ ./layers/ ./sandbox/

# Differential testing campaign: SEEDS random trees from seed FIRST, each
# built with stevedore and BuildKit (plus a twin and a rootless stevedore
# build), failures minimized into OUT/seed-N/. ARGS adds flags, e.g.
# ARGS='-rootless=false -jobs 2'.
SEEDS     ?= 100
FIRST     ?= 1
OUT       ?= $(CURDIR)/parity-fuzz-out
ARGS      ?=
parity-fuzz: test-deps build
	STEVEDORE_SLOW=1 STEVEDORE_BIN=$(CURDIR)/$(BIN) $(GO) test -tags $(GOTAGS) -count=1 -v -timeout 0 \
		-run '^TestCampaign$$' ./tests/parity/difftest/ -args -seeds $(SEEDS) -first $(FIRST) -out $(OUT) $(ARGS)

clean:
	rm -rf bin
