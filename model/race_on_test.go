//go:build race

package model

// raceOn says the tests run under the race detector, which makes them
// some ten times slower: the big ones shrink.
const raceOn = true
