//go:build 386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm

package filter

// littleEndian says whether four uint16 lanes can be loaded as one uint64
// (lane i = the i-th value); a constant, so the test compiles away.
const littleEndian = true
