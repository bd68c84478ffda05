//go:build !(386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm)

package filter

// littleEndian is false on big-endian targets: uint16 lanes are assembled
// from separate loads.
const littleEndian = false
