// Package sandboxtest is the conformance suite every sandbox.Runner must
// pass: what the process sees must equal what a RUN step sees under BuildKit
// v0.34.2 (see docs/buildkit-run-env.md), writes must land in
// the rootfs, nothing may stay mounted, and errors and cancellation must
// behave. Implementations call Run from their tests:
//
//	func TestConformance(t *testing.T) {
//		sandboxtest.Run(t, func(t *testing.T) sandbox.Runner { return newRunner(t) })
//	}
//
// The suite needs root and Debian's busybox-static (/bin/busybox), from
// which Busybox builds each test's rootfs.
package sandboxtest
