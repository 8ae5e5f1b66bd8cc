// Package recipegen generates random StageX-style package trees for
// differential testing: the same seed always gives the same tree, byte for
// byte. A tree is a model (Tree, Package, Stage, Instr) that the shrinker
// can cut down instruction by instruction and RUN operation by operation,
// rendered to packages/<stage>/<name>/{package.toml,Containerfile,ctx/...}
// plus a mirror folder holding its sources (the host's busybox-static and
// generated archives of every kind ADD extracts).
//
// Every tree has the base target core-busybox, built like the corner
// tree's: RUN needs a shell, so only stages that descend from it run
// commands. Each RUN is a sequence of file operations over a small
// namespace under /n (so that they collide: overwrite, delete, rename,
// hardlink across layers, ...), each guarded with `|| true`: an operation
// that does not apply in the current state is a no-op in both builders,
// and dropping any of them keeps the recipe valid.
package recipegen
