# stevedore's build and test entry points. `make test` is the command the
# README gives and the one .ci/run calls.

GO        ?= go
BIN       ?= bin/stevedore
# cgo is needed for libcontainer's nsenter and for seccomp; the result is static.
GOTAGS    := osusergo,netgo,seccomp
LDFLAGS   := -s -w -extldflags -static
export CGO_ENABLED := 1

.PHONY: all build deps example test test-unit test-slow vet clean

all: build

build:
	$(GO) build -trimpath -tags $(GOTAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/stevedore

# Install the system packages the tests use (root, Debian); no-op when present.
deps:
	tests/install-deps

# The README's main command: build stevedore and run its main job on examples/.
example: build
	tests/example.sh

vet:
	$(GO) vet -tags $(GOTAGS) ./...

test-unit:
	$(GO) test -tags $(GOTAGS) -count=1 ./...

# Slow suites (BuildKit parity, real consumers) run with STEVEDORE_SLOW=1.
test-slow: build
	STEVEDORE_SLOW=1 STEVEDORE_BIN=$(CURDIR)/$(BIN) $(GO) test -tags $(GOTAGS) -count=1 -timeout 60m ./tests/...

test: deps build vet
	STEVEDORE_BIN=$(CURDIR)/$(BIN) $(GO) test -tags $(GOTAGS) -count=1 -timeout 30m ./...

clean:
	rm -rf bin
