//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ptyProc is flowlens running on a pseudo-terminal of a given size, as a
// user's terminal runs it: the explorer refuses anything else. Every byte
// it writes to the terminal is kept (and counted).
type ptyProc struct {
	cmd    *exec.Cmd
	master *os.File

	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

// startPTY runs flowlens with args on a new w x h pseudo-terminal; env
// entries are added to the environment.
func startPTY(t *testing.T, w, h int, env []string, args ...string) *ptyProc {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(w), Row: uint16(h)}); err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	cmd := flowlensCmd(t, args...)
	cmd.Env = append(cmd.Env, "TERM=xterm-256color")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &ptyProc{cmd: cmd, master: master, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		buf := make([]byte, 32<<10)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			// Answer what a terminal is asked at start (termenv asks for
			// the background colour, then the cursor position), as a
			// terminal would: without answers it waits 5 s for each.
			if bytes.Contains(buf[:n], []byte("\x1b]11;?")) {
				_, _ = master.WriteString("\x1b]11;rgb:0000/0000/0000\x1b\\")
			}
			if bytes.Contains(buf[:n], []byte("\x1b[6n")) {
				_, _ = master.WriteString("\x1b[1;1R")
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		master.Close()
		<-p.done
	})
	return p
}

// written returns a copy of everything written so far.
func (p *ptyProc) written() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.out.Bytes())
}

// waitFor waits until the terminal got every want (polling; 20 s at most).
func (p *ptyProc) waitFor(t *testing.T, want ...string) {
	t.Helper()
	p.waitWithin(t, 20*time.Second, want...)
}

// waitWithin is waitFor with another deadline.
func (p *ptyProc) waitWithin(t *testing.T, d time.Duration, want ...string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		out := plain(p.written())
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never got %q; it got %d bytes (as text), ending %q", missing, len(out), out[max(0, len(out)-400):])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// since returns what was written from offset off on.
func (p *ptyProc) since(off int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.out.Bytes()[off:])
}

// typeKeys writes keys to the terminal as typed.
func (p *ptyProc) typeKeys(t *testing.T, keys string) {
	t.Helper()
	if _, err := p.master.WriteString(keys); err != nil {
		t.Fatal(err)
	}
}

// csiRE matches a control sequence: CSI parameters and final byte.
var csiRE = regexp.MustCompile("\x1b\\[[0-9;?]*([@-~])")

// plain returns terminal output as text: cursor-forward moves become the
// spaces they skip, other control sequences go.
func plain(b []byte) string {
	return csiRE.ReplaceAllStringFunc(string(b), func(seq string) string {
		if seq[len(seq)-1] != 'C' {
			return ""
		}
		n, err := strconv.Atoi(seq[2 : len(seq)-1])
		if err != nil {
			n = 1
		}
		return strings.Repeat(" ", n)
	})
}

// wait waits for the process to end and returns its exit status.
func (p *ptyProc) wait(t *testing.T) int {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		t.Fatal("flowlens did not exit within 20 s")
		return -1
	}
}
