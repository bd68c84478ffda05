package source

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// The transport side of the Firehose receiver: reading bodies within
// their limits and at a decent pace, certificates that can be renewed in
// place, and a bound on open connections.

var (
	errSlowBody     = errors.New("the body came too slowly")
	errBodyTooBig   = errors.New("body too large")
	bodyBufs        = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}
	recSlices       = sync.Pool{New: func() any { r := make([][]byte, 0, 1024); return &r }}
	decodeBufs      = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
	gzipReaders     sync.Pool // *gzip.Reader
	maxPooledBody   = 8 << 20 // larger body buffers are left to the collector
	maxPooledRecs   = 16 << 10
	maxPooledDecode = 1 << 20
)

func putBodyBuf(b *[]byte) {
	if cap(*b) <= maxPooledBody {
		*b = (*b)[:0]
		bodyBufs.Put(b)
	}
}

func getRecs() *[][]byte { return recSlices.Get().(*[][]byte) }

func putRecs(r *[][]byte) {
	if cap(*r) <= maxPooledRecs {
		clear((*r)[:cap(*r)])
		*r = (*r)[:0]
		recSlices.Put(r)
	}
}

func getDecodeBuf() *[]byte { return decodeBufs.Get().(*[]byte) }

func putDecodeBuf(b *[]byte) {
	if cap(*b) <= maxPooledDecode {
		*b = (*b)[:0]
		decodeBufs.Put(b)
	}
}

// readBody reads the request body, undoing a gzip Content-Encoding, and
// returns it with the bytes read off the wire. It stops as soon as the
// body (decompressed) passes MaxBody, so a decompression bomb costs no
// more than the limit; the compressed stream is bounded as well, since
// deflate can consume input without producing any.
func (f *Firehose) readBody(r *http.Request, rc *http.ResponseController) (*[]byte, int64, fhReject, error) {
	limit := f.opts.MaxBody
	gz := false
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gz = true
	default:
		return nil, 0, rejEncoding, fmt.Errorf("Content-Encoding %q: only gzip is understood", clip(enc, 40))
	}
	rawLimit := limit
	if gz {
		rawLimit = limit + limit/8 + 64<<10
	}
	if r.ContentLength > rawLimit {
		return nil, 0, rejTooLarge, fmt.Errorf("a body of %d bytes is over the limit of %d", r.ContentLength, limit)
	}
	g := &bodyGuard{r: r.Body, rc: rc, start: time.Now(), limit: rawLimit, minRate: f.opts.MinRate, grace: f.opts.BodyGrace}
	defer g.release()
	var src io.Reader = g
	var zr *gzip.Reader
	if gz {
		var err error
		if v := gzipReaders.Get(); v != nil {
			zr = v.(*gzip.Reader)
			err = zr.Reset(g)
		} else {
			zr, err = gzip.NewReader(g)
		}
		if err != nil {
			rej, e := g.classify(err, "gzip body")
			return nil, g.n, rej, e
		}
		defer gzipReaders.Put(zr)
		src = zr
	}
	what := "body"
	if gz {
		what = "gzip body"
	}
	buf := bodyBufs.Get().(*[]byte)
	if want := r.ContentLength; !gz && want > 0 && int64(cap(*buf)) < want+1 {
		*buf = make([]byte, 0, want+1)
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := src.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			*buf = b
			putBodyBuf(buf)
			return nil, g.n, rejTooLarge, fmt.Errorf("%s: over the limit of %d bytes (decompressed)", what, limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			*buf = b
			putBodyBuf(buf)
			rej, e := g.classify(err, what)
			return nil, g.n, rej, e
		}
	}
	*buf = b
	return buf, g.n, 0, nil
}

// bodyGuard reads a request body within a byte limit and at a minimum
// pace: a pause longer than grace, or an average under minRate after the
// first grace, ends the read.
type bodyGuard struct {
	r       io.Reader
	rc      *http.ResponseController
	start   time.Time
	n       int64
	limit   int64
	minRate int64
	grace   time.Duration
}

func (g *bodyGuard) Read(p []byte) (int, error) {
	if g.n > g.limit {
		return 0, errBodyTooBig
	}
	now := time.Now()
	if el := now.Sub(g.start); el > g.grace && float64(g.n) < float64(g.minRate)*(el-g.grace).Seconds() {
		return 0, errSlowBody
	}
	_ = g.rc.SetReadDeadline(now.Add(g.grace))
	if int64(len(p)) > g.limit-g.n+1 {
		p = p[:g.limit-g.n+1]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = errSlowBody
	}
	if err == nil && g.n > g.limit {
		err = errBodyTooBig
	}
	return n, err
}

// release lifts the read deadline: net/http goes on reading the
// connection in the background while the handler waits for the index.
func (g *bodyGuard) release() { _ = g.rc.SetReadDeadline(time.Time{}) }

// classify turns a body read error into a reject and a message.
func (g *bodyGuard) classify(err error, what string) (fhReject, error) {
	var ce flate.CorruptInputError
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errSlowBody):
		return rejSlow, fmt.Errorf("%s: %v (%d bytes in %s)", what, err, g.n, time.Since(g.start).Round(time.Millisecond))
	case errors.Is(err, errBodyTooBig), errors.As(err, &mbe):
		return rejTooLarge, fmt.Errorf("%s: over the limit of %d bytes", what, g.limit)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return rejMalformed, fmt.Errorf("%s: truncated after %d bytes", what, g.n)
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.As(err, &ce):
		return rejMalformed, fmt.Errorf("%s: corrupt: %v", what, err)
	}
	return rejMalformed, fmt.Errorf("%s: %v", what, err)
}

// certReloader serves a certificate and key from files, reading them again
// (at most every 10 s, on a handshake) when either changes, so a renewed
// certificate is picked up without a restart. A failed reload keeps the
// previous pair.
type certReloader struct {
	certFile, keyFile string
	mu                sync.Mutex
	cert              *tls.Certificate
	modCert, modKey   time.Time
	checked           time.Time
	onErr             func(error)
}

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *certReloader) load() error {
	cs, err := os.Stat(r.certFile)
	if err != nil {
		return fmt.Errorf("--tls-cert: %w", err)
	}
	ks, err := os.Stat(r.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-key: %w", err)
	}
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert %s, --tls-key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.modCert, r.modKey = &c, cs.ModTime(), ks.ModTime()
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= 10*time.Second {
		r.checked = now
		cs, err1 := os.Stat(r.certFile)
		ks, err2 := os.Stat(r.keyFile)
		if err1 == nil && err2 == nil && (!cs.ModTime().Equal(r.modCert) || !ks.ModTime().Equal(r.modKey)) {
			if err := r.load(); err != nil && r.onErr != nil {
				r.onErr(err)
			}
		}
	}
	return r.cert, nil
}

// limitListener accepts at most n connections at once; more wait in the
// kernel's backlog.
type limitListener struct {
	net.Listener
	sem  chan struct{}
	done chan struct{}
	once sync.Once
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
