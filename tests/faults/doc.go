// Package faults is the fault-injection suite (slow): it kills stevedore
// with SIGKILL at every phase of its work (download, source verification,
// unpack, each RUN, layer write, layout write, digest record, sign,
// export, bundle, unbundle), many times at seeded random offsets, and
// fills the disk during each phase. After every fault it checks that
// nothing half-written sits where a complete file is expected and that
// the next command succeeds with the committed digests of examples/.
//
// STEVEDORE_FAULT_SEED fixes the seed (logged by every run).
package faults
