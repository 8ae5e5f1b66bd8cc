// Package architecture holds tests that keep stevedore's layering honest
// (docs/architecture.md): no package imports a higher layer or a peer
// folder, as go list draws the imports; data flows one way; and only cmd/
// reads the environment.
package architecture
