// Package architecture holds tests that keep stevedore's layering honest:
// data flows one way, and only cmd/ reads the environment.
package architecture
