#!/bin/sh
# buildkit.sh: the BuildKit reference stevedore's output is compared with.
#
# This script is the single source of truth for building, running and
# calling the reference; the Go package tests/parity/buildkitref calls it.
#
#   buildkit.sh ensure                 build buildkitd+buildctl v0.34.2 once, print the bin dir
#   buildkit.sh start [WORKDIR]        start a private buildkitd, print BUILDKIT_HOST=unix://...
#   buildkit.sh stop  [WORKDIR]        stop it, unmount and remove its state
#   buildkit.sh build [options]        StageX's `docker build` of one target, as buildctl
#   buildkit.sh buildctl [--addr A] [--workdir W] -- ARGS...
#                                      buildctl ARGS against the daemon (docker buildx
#                                      build's equivalent calls; see buildkitref.Buildx)
#   buildkit.sh prune [--addr A] [--workdir W]
#                                      drop the daemon's whole build cache, between two builds
#
# build options (see docs/buildkit-output.md "Running the reference"):
#   --context DIR          main build context (packages/<stage>/<origin>)        required
#   --file FILE            the Containerfile (default: DIR/Containerfile)
#   --fetch DIR            the `fetch` named context (fetch/<stage>/<origin>)    optional
#   --platform P           e.g. linux/amd64 (default linux/amd64)
#   --build-arg K=V        repeatable; SOURCE_DATE_EPOCH=1 and BUILDKIT_MULTI_PLATFORM=1 are always passed
#   --target STAGE         optional target stage (package-<sub>)
#   --dep NAME=DIR         repeatable; OCI layout of dependency stagex/NAME
#   --name NAME            output name, <stage>-<name>                           required
#   --version V            org.opencontainers.image.version (default latest)
#   --dest DIR             where the OCI layout is written (must not exist)      required
#   --addr unix://SOCK     daemon address (default: $BUILDKIT_HOST, else WORKDIR/env)
#   --workdir DIR          where `start` ran (default as below), used to find the address
#
# Environment:
#   STEVEDORE_BUILDKIT_CACHE  cache of the binaries (default /var/cache/stevedore/buildkit-v0.34.2)
#   STEVEDORE_BUILDKIT_WORK   default WORKDIR (default ${TMPDIR:-/tmp}/stevedore-buildkit)
#   BUILDKIT_START_TIMEOUT    seconds to wait for the daemon (default 60)
#
# Any failure exits non-zero with a message on stderr: callers must never skip silently.
set -eu

BK_VERSION=v0.34.2
BK_MODULE=github.com/moby/buildkit
CACHE=${STEVEDORE_BUILDKIT_CACHE:-/var/cache/stevedore/buildkit-$BK_VERSION}
BIN=$CACHE/bin

die() { echo "buildkit.sh: $*" >&2; exit 1; }

default_workdir() { echo "${STEVEDORE_BUILDKIT_WORK:-${TMPDIR:-/tmp}/stevedore-buildkit}"; }

# ensure builds the binaries into $BIN unless they are already there.
ensure() {
	stamp="$BIN/.built-$BK_VERSION"
	if [ -f "$stamp" ] && [ -x "$BIN/buildkitd" ] && [ -x "$BIN/buildctl" ]; then
		echo "$BIN"
		return 0
	fi
	command -v go >/dev/null 2>&1 || die "go not found in PATH"
	mkdir -p "$CACHE"
	# One builder at a time; the others wait and then find the stamp.
	exec 9>"$CACHE/.lock"
	flock 9
	if [ -f "$stamp" ] && [ -x "$BIN/buildkitd" ] && [ -x "$BIN/buildctl" ]; then
		exec 9>&-
		echo "$BIN"
		return 0
	fi
	build_binaries
	exec 9>&-
	echo "$BIN"
}

build_binaries() {
	tmp=$(mktemp -d "$CACHE/.build.XXXXXX")
	trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
	echo "buildkit.sh: building buildkitd and buildctl $BK_VERSION into $BIN (~2.5 min cold)" >&2
	start=$(date +%s)
	# Run outside any module so the caller's go.mod/go.work do not interfere.
	json=$(cd "$tmp" && GOWORK=off GOFLAGS= GOTOOLCHAIN=local go mod download -json "$BK_MODULE@$BK_VERSION") ||
		die "go mod download $BK_MODULE@$BK_VERSION failed: $json"
	dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
	[ -n "$dir" ] && [ -d "$dir" ] || die "go mod download gave no Dir: $json"
	cp -r "$dir" "$tmp/src"
	chmod -R u+w "$tmp/src"
	mkdir -p "$tmp/bin"
	(cd "$tmp/src" && GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local \
		go build -o "$tmp/bin/" ./cmd/buildkitd ./cmd/buildctl) >&2 ||
		die "go build of buildkitd/buildctl failed (see above)"
	"$tmp/bin/buildkitd" --version >&2 || die "built buildkitd does not run"
	rm -rf "$BIN.old"
	[ -d "$BIN" ] && mv "$BIN" "$BIN.old"
	mv "$tmp/bin" "$BIN"
	rm -rf "$BIN.old"
	touch "$BIN/.built-$BK_VERSION"
	echo "buildkit.sh: built in $(( $(date +%s) - start ))s" >&2
	chmod -R u+w "$tmp"
	rm -rf "$tmp"
	trap - EXIT
}

# sockpath picks a unix socket path short enough for sun_path (108 bytes).
sockpath() {
	s="$1/buildkitd.sock"
	if [ ${#s} -gt 100 ]; then
		d=$(mktemp -d /tmp/sbk.XXXXXX)
		s="$d/buildkitd.sock"
	fi
	echo "$s"
}

start() {
	work=${1:-$(default_workdir)}
	bin=$(ensure)
	command -v runc >/dev/null 2>&1 || die "runc not found in PATH (apt-get install runc; tests/install-deps installs it)"
	[ "$(id -u)" = 0 ] || die "buildkitd must run as root"
	mkdir -p "$work"
	work=$(cd "$work" && pwd)
	if [ -f "$work/pid" ] && kill -0 "$(cat "$work/pid")" 2>/dev/null; then
		die "a buildkitd already runs for $work (pid $(cat "$work/pid")); run: $0 stop $work"
	fi
	sock=$(sockpath "$work")
	rm -f "$sock"
	mkdir -p "$work/root"
	: >"$work/buildkitd.toml" # an empty config: ignore /etc/buildkit/buildkitd.toml
	env -u OTEL_EXPORTER_OTLP_ENDPOINT -u OTEL_TRACES_EXPORTER -u BUILDKIT_HOST \
		setsid "$bin/buildkitd" --config "$work/buildkitd.toml" --root "$work/root" \
		--addr "unix://$sock" --oci-worker=true --containerd-worker=false \
		>"$work/buildkitd.log" 2>&1 </dev/null &
	echo $! >"$work/pid"
	echo "unix://$sock" >"$work/addr"
	timeout=${BUILDKIT_START_TIMEOUT:-60}
	i=0
	while ! "$bin/buildctl" --addr "unix://$sock" debug workers >/dev/null 2>&1; do
		if ! kill -0 "$(cat "$work/pid")" 2>/dev/null; then
			echo "buildkit.sh: buildkitd exited; log tail:" >&2
			tail -n 30 "$work/buildkitd.log" >&2
			exit 1
		fi
		i=$((i + 1))
		if [ "$i" -gt $((timeout * 5)) ]; then
			echo "buildkit.sh: buildkitd did not answer within ${timeout}s; log tail:" >&2
			tail -n 30 "$work/buildkitd.log" >&2
			stop "$work" >/dev/null 2>&1 || true
			exit 1
		fi
		sleep 0.2
	done
	echo "BUILDKIT_HOST=unix://$sock" >"$work/env"
	echo "BUILDKIT_HOST=unix://$sock"
}

stop() {
	work=${1:-$(default_workdir)}
	[ -d "$work" ] || return 0
	work=$(cd "$work" && pwd)
	if [ -f "$work/pid" ]; then
		pid=$(cat "$work/pid")
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			i=0
			while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	# Unmount everything under the root, deepest first.
	if [ -d "$work/root" ]; then
		awk -v p="$work/root" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo |
			sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
	fi
	if [ -f "$work/addr" ]; then
		sock=$(sed 's|^unix://||' "$work/addr")
		case "$sock" in /tmp/sbk.*) rm -rf "$(dirname "$sock")" ;; esac
	fi
	rm -rf "$work/root" "$work/pid" "$work/addr" "$work/env" "$work/buildkitd.toml" "$work/buildkitd.sock" "$work/buildkitd.sock.build-lock"
	echo "buildkit.sh: stopped $work" >&2
}

# addr_of finds the daemon address: --addr, then $BUILDKIT_HOST, then WORKDIR/env.
addr_of() {
	if [ -n "$1" ]; then echo "$1"; return; fi
	if [ -n "${BUILDKIT_HOST:-}" ]; then echo "$BUILDKIT_HOST"; return; fi
	envf="$2/env"
	[ -f "$envf" ] || die "no BuildKit address: pass --addr, set BUILDKIT_HOST or run: $0 start $2"
	sed -n 's/^BUILDKIT_HOST=//p' "$envf"
}

# first_manifest prints index.json's manifests[0] digest of an OCI layout.
first_manifest() {
	[ -f "$1/index.json" ] || die "dependency $1: no index.json"
	d=$(grep -o '"digest" *: *"sha256:[0-9a-f]\{64\}"' "$1/index.json" | head -n 1 | grep -o 'sha256:[0-9a-f]*')
	[ -n "$d" ] || die "dependency $1: index.json has no manifest digest"
	echo "$d"
}

build() {
	ctx="" file="" fetch="" platform=linux/amd64 target="" name="" version=latest dest="" addr="" work=$(default_workdir)
	set -- "$@" --end-of-options
	while [ "$1" != --end-of-options ]; do
		[ $# -ge 2 ] || die "build: $1 needs a value"
		case "$1" in
		--context) ctx=$2 ;;
		--file) file=$2 ;;
		--fetch) fetch=$2 ;;
		--platform) platform=$2 ;;
		--build-arg) set -- "$@" --opt "build-arg:$2" ;;
		--target) target=$2 ;;
		--dep)
			dname=${2%%=*} ddir=${2#*=}
			[ -n "$dname" ] && [ "$dname" != "$2" ] || die "build: --dep wants NAME=DIR, got $2"
			ddir=$(cd "$ddir" && pwd) || die "build: --dep $2: no such directory"
			dg=$(first_manifest "$ddir")
			set -- "$@" --oci-layout "$dname=$ddir" --opt "context:stagex/$dname=oci-layout://$dname@$dg"
			;;
		--name) name=$2 ;;
		--version) version=$2 ;;
		--dest) dest=$2 ;;
		--addr) addr=$2 ;;
		--workdir) work=$2 ;;
		*) die "build: unknown option $1" ;;
		esac
		shift 2
	done
	shift # --end-of-options; "$@" now holds the collected buildctl arguments
	[ -n "$ctx" ] || die "build: --context is required"
	[ -n "$name" ] || die "build: --name is required"
	[ -n "$dest" ] || die "build: --dest is required"
	[ ! -e "$dest" ] || die "build: --dest $dest already exists"
	[ -n "$file" ] || file=$ctx/Containerfile
	[ -f "$file" ] || die "build: no Containerfile at $file"
	host=$(addr_of "$addr" "$work")
	bin=$(ensure)
	if [ -n "$target" ]; then set -- "$@" --opt "target=$target"; fi
	if [ -n "$fetch" ]; then set -- "$@" --local "fetch=$fetch" --opt context:fetch=local:fetch; fi
	mkdir -p "$(dirname "$dest")"
	tmp=$(mktemp -d "$(dirname "$dest")/.bk-build.XXXXXX")
	out="type=oci,name=$name,rewrite-timestamp=true,force-compression=true,\"annotation.containerd.io/distribution.source.docker.io=stagex/$name\",annotation.org.opencontainers.image.version=$version,annotation.org.opencontainers.image.created=1970-01-01T00:00:01Z,tar=true,dest=$tmp/out.tar"
	if ! fresh_contexts "$bin" "$host" build --frontend dockerfile.v0 \
		--local "context=$ctx" --local "dockerfile=$(dirname "$file")" \
		--opt "filename=$(basename "$file")" \
		--opt "platform=$platform" --opt ulimit=nofile=2048:16384 \
		--opt build-arg:SOURCE_DATE_EPOCH=1 --opt build-arg:BUILDKIT_MULTI_PLATFORM=1 \
		"$@" --output "$out" >&2; then
		rm -rf "$tmp"
		die "buildctl build of $name failed (see above)"
	fi
	mkdir "$tmp/layout"
	tar -xf "$tmp/out.tar" -C "$tmp/layout" || { rm -rf "$tmp"; die "untar $tmp/out.tar failed"; }
	mv "$tmp/layout" "$dest"
	rm -rf "$tmp"
	echo "$dest"
}

# buildctl runs buildctl with the daemon's address and the caller's arguments.
buildctl_cmd() {
	addr="" work=$(default_workdir)
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		[ $# -ge 2 ] || die "buildctl: $1 needs a value"
		case "$1" in
		--addr) addr=$2 ;;
		--workdir) work=$2 ;;
		*) die "buildctl: unknown option $1" ;;
		esac
		shift 2
	done
	[ "${1:-}" = -- ] || die "buildctl: want -- before the buildctl arguments"
	shift
	host=$(addr_of "$addr" "$work")
	bin=$(ensure)
	case "${1:-}" in
	build)
		shift
		fresh_contexts "$bin" "$host" build "$@" >&2 || die "buildctl build $* failed (see above)"
		;;
	prune) with_build_lock "$host" "$bin/buildctl" --addr "$host" "$@" >&2 || die "buildctl $* failed (see above)" ;;
	*) "$bin/buildctl" --addr "$host" "$@" >&2 || die "buildctl $* failed (see above)" ;;
	esac
}

# prune drops every cache record of the daemon, holding the build lock so
# that no build runs meanwhile. A long campaign calls it every few dozen
# trees: BuildKit's default GC policies only act when the disk fills, and
# with tens of thousands of snapshots in its bolt databases every build
# slowed down 2-3 times (0.21 s per instruction over the first 60 trees,
# 0.48 s after 480).
prune_cmd() {
	buildctl_cmd "$@" -- prune --all
}

# fresh_contexts BIN HOST build ARGS... runs one buildctl build that sees
# exactly the files of its local contexts. buildctl sets no session shared
# key, so BuildKit keeps one incremental copy per local name ("context",
# "dockerfile", "fetch") for every build, and fsutil re-sends only files
# whose stat changed: a file with the same name, size, mode and mtime as
# one an earlier build sent keeps the earlier build's content (two
# generated trees whose ctx/f2.sh held "alpha" and "gamma" at the same
# mtime). So, one build at a time per daemon, each after dropping the
# local-source copies.
fresh_contexts() {
	fc_bin=$1 fc_host=$2
	shift 2
	with_build_lock "$fc_host" fresh_build "$@"
}

fresh_build() {
	"$fc_bin/buildctl" --addr "$fc_host" prune --filter type==source.local >/dev/null ||
		die "buildctl prune of the local sources failed"
	"$fc_bin/buildctl" --addr "$fc_host" "$@"
}

# with_build_lock HOST CMD... runs CMD (a command or a function) holding the
# daemon's build lock, an flock next to its socket, so that builds and
# prunes run one at a time.
with_build_lock() {
	case "$1" in
	unix://*) wl_lock="${1#unix://}.build-lock" ;;
	*) die "only a unix:// daemon address can be locked, got $1" ;;
	esac
	shift
	(
		flock 9
		"$@"
	) 9>"$wl_lock"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
ensure) ensure ;;
start) start "$@" ;;
stop) stop "$@" ;;
build) build "$@" ;;
buildctl) buildctl_cmd "$@" ;;
prune) prune_cmd "$@" ;;
*)
	echo "usage: $0 ensure | start [WORKDIR] | stop [WORKDIR] | build --context DIR --name NAME --dest DIR [...] | buildctl [...] -- ARGS | prune [--addr A]" >&2
	exit 2
	;;
esac
