// Package difftest is differential testing of stevedore against BuildKit:
// it builds random package trees (package recipegen) with both, compares
// every target's manifest digest, and shrinks a tree that differs to a
// minimal recipe that still differs. Optionally every tree is also built
// a second time by stevedore (another folder, umask 077, another TZ) and
// once rootless, and all digests must agree.
//
// TestDifferential runs a fixed set of seeds in the slow suite (make test
// SLOW=1); TestCampaign runs a campaign of any size (make parity-fuzz).
package difftest
