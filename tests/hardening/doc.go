// Package hardening tests what an adversarial review of stevedore found
// (issue #14) through the binary: a build killed with SIGKILL leaves no
// mount behind and clean still works, the tree lock, the RUN limits, the
// fetch steps' own network namespace and signed bundles.
package hardening
