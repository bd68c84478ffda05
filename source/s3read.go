package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/flowlens/flowlens/model"
	"github.com/klauspost/compress/gzip"
	"github.com/parquet-go/parquet-go"
)

// objectError is an object that could not be read whole: the records
// before the fault were emitted; the others go on.
type objectError struct {
	Name  string // s3://bucket/key
	Lines int64  // lines emitted before the fault
	Err   error
}

func (e *objectError) Error() string {
	return fmt.Sprintf("%s: unreadable after %d lines: %v", e.Name, e.Lines, e.Err)
}

func (e *objectError) Unwrap() error { return e.Err }

// bodyReader counts the bytes of an object body and remembers a read
// error, which tells a dropped connection (retry) from a corrupt object.
type bodyReader struct {
	r   io.Reader
	n   int64
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// errTransient marks a body read that failed mid-way; the object is fetched
// again and the lines already emitted are skipped.
var errTransient = errors.New("object body read failed")

// readObject fetches and emits one object. Lines emitted before a dropped
// connection are not emitted again when the object is fetched again.
func (s *S3) readObject(ctx context.Context, o s3Object, emit func(model.Batch) error) error {
	s.emitMu.Lock()
	read, listed := s.read, s.listed
	s.emitMu.Unlock()
	s.Update(func(st *Status) {
		st.Current = fmt.Sprintf("%s (%d of %d objects done, %s of %s read)", o.Key, st.ObjectsDone, st.Objects,
			mib(read), mib(listed))
	})
	done := s.resumedLines(o.Key) // lines already emitted (by this run, or one before it: --state)
	attempts := s.cfg.AWS.MaxAttempts
	if attempts <= 0 {
		attempts = 10
	}
	for attempt := 0; ; attempt++ {
		var body io.ReadCloser
		lc, err := s.call.open(ctx, "GetObject", "s3:GetObject", func(ctx context.Context) error {
			out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(o.Key)})
			if err == nil {
				body = out.Body
			}
			return err
		})
		if err != nil {
			var ae *AWSError
			if errors.As(err, &ae) && ae.Kind == ErrNotFound {
				// Deleted (lifecycle rule) between listing and reading.
				return &objectError{Name: "s3://" + s.bucket + "/" + o.Key, Err: err}
			}
			return err
		}
		br := &bodyReader{r: lc.Watch(body)} // a body that stops arriving ends the read
		err = s.decode(ctx, o, br, &done, emit)
		body.Close()
		lc.Close()
		s.emitMu.Lock()
		s.read += br.n
		s.emitMu.Unlock()
		if err == nil && o.Named {
			s.emitMu.Lock()
			if o.Time.After(s.newest) {
				s.newest = o.Time
			}
			lag := s.cfg.AWS.now().Sub(s.newest)
			s.emitMu.Unlock()
			s.Update(func(st *Status) { st.Lag = max(lag, 0) })
		}
		if err == nil || !errors.Is(err, errTransient) {
			return err
		}
		if attempt+1 >= attempts || errors.Is(err, errStalled) && attempt+1 >= timeoutAttempts || ctx.Err() != nil {
			return &objectError{Name: "s3://" + s.bucket + "/" + o.Key, Lines: done, Err: err}
		}
		s.Update(func(st *Status) { st.Retries++ })
		if err := s.cfg.AWS.sleep(ctx, s.call.backoff(attempt)); err != nil {
			return err
		}
	}
}

// decode emits the lines of one object body: gzip or plain text, or a
// Parquet file turned into a header line and text lines.
func (s *S3) decode(ctx context.Context, o s3Object, body *bodyReader, done *int64, emit func(model.Batch) error) error {
	br := bufio.NewReaderSize(body, 64<<10)
	magic, _ := br.Peek(4)
	if body.err != nil {
		return fmt.Errorf("%w: %v", errTransient, body.err)
	}
	lw := &lineWriter{s: s, key: o.Key, keyTime: o.Time.UnixMilli(), skip: *done, emit: emit, done: done}
	if bytes.Equal(magic, []byte("PAR1")) || strings.HasSuffix(o.Key, ".parquet") {
		data, err := io.ReadAll(io.LimitReader(br, s.cfg.MaxObjectBytes+1))
		if body.err != nil {
			return fmt.Errorf("%w: %v", errTransient, body.err)
		}
		if err == nil && int64(len(data)) > s.cfg.MaxObjectBytes {
			err = fmt.Errorf("parquet object larger than %d bytes", s.cfg.MaxObjectBytes)
		}
		if err == nil {
			err = parquetLines(data, lw.line)
		}
		return lw.finish(ctx, err)
	}
	var r io.Reader = br
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return lw.finish(ctx, s.fault(body, err))
		}
		defer zr.Close()
		r = zr
	}
	lr := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	tooLong := false
	var skipped int64 // bytes of the over-long line so far
	for {
		line, err := lr.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if !tooLong && len(long)+len(line) > s.cfg.MaxLine {
				tooLong, long = true, long[:0]
			} else if !tooLong {
				long = append(long, line...)
			}
			if skipped += int64(len(line)); tooLong && skipped > maxRunaway {
				s.Drop(DropTooLong, 1, fmt.Sprintf("s3://%s/%s:%d: line longer than %d bytes skipped", s.bucket, o.Key, lw.lineNo+1, s.cfg.MaxLine))
				return lw.finish(ctx, errRunaway)
			}
			continue
		}
		skipped = 0
		if tooLong || len(long) > 0 {
			if tooLong || len(long)+len(line) > s.cfg.MaxLine {
				// Dropped, counted, and kept as an empty line so that line
				// numbers stay right.
				tooLong, long = false, long[:0]
				s.Drop(DropTooLong, 1, fmt.Sprintf("s3://%s/%s:%d: line longer than %d bytes skipped", s.bucket, o.Key, lw.lineNo+1, s.cfg.MaxLine))
				line = []byte{'\n'}
			} else {
				line = append(long, line...)
				long = long[:0]
			}
		}
		if err == nil {
			if e := lw.line(line); e != nil {
				return e
			}
			continue
		}
		if err == io.EOF {
			if len(line) > 0 {
				if e := lw.line(line); e != nil {
					return e
				}
			}
			return lw.finish(ctx, nil)
		}
		// A fault mid-line: the partial line is not a record. It is read
		// again after a dropped connection, lost in a corrupt object.
		fault := s.fault(body, err)
		if len(line) > 0 && !errors.Is(fault, errTransient) {
			s.Drop(DropIncomplete, 1, fmt.Sprintf("s3://%s/%s:%d: line cut short by a read error (%d bytes) dropped", s.bucket, o.Key, lw.lineNo+1, len(line)))
		}
		return lw.finish(ctx, fault)
	}
}

// fault tells a dropped connection (transient) from a corrupt object.
func (s *S3) fault(body *bodyReader, err error) error {
	if body.err != nil {
		return fmt.Errorf("%w: %v", errTransient, body.err)
	}
	return err
}

// lineWriter gathers lines into batches for one object.
type lineWriter struct {
	s       *S3
	key     string
	keyTime int64 // the object's time, Unix ms (Position.Time)
	emit    func(model.Batch) error
	skip    int64  // lines to skip (emitted by an earlier attempt)
	done    *int64 // lines emitted so far, across attempts

	buf     []byte
	n       int64 // lines in buf
	lineNo  int64 // lines seen in this attempt
	offset  int64 // byte offset of the next line in this attempt
	bufLine int64 // line number of buf's first line
	bufOff  int64
	emitted bool
	emitErr error
}

// line adds one line (with or without its '\n').
func (w *lineWriter) line(b []byte) error {
	w.lineNo++
	off := w.offset
	w.offset += int64(len(b))
	if len(b) == 0 || b[len(b)-1] != '\n' {
		w.offset++
	}
	if w.lineNo <= w.skip {
		return nil
	}
	if w.n == 0 {
		w.bufLine, w.bufOff = w.lineNo, off
		if w.buf == nil {
			w.buf = make([]byte, 0, w.s.cfg.BatchBytes+4096)
		}
	}
	w.buf = append(w.buf, b...)
	if len(b) == 0 || b[len(b)-1] != '\n' {
		w.buf = append(w.buf, '\n')
	}
	w.n++
	if len(w.buf) >= w.s.cfg.BatchBytes {
		return w.flush(false)
	}
	return nil
}

func (w *lineWriter) flush(eof bool) error {
	if w.n == 0 && !eof {
		return nil
	}
	b := model.Batch{Source: w.s.name, Object: w.key, Data: w.buf, Line: w.bufLine, Offset: w.bufOff,
		Format: w.s.cfg.Format, EOF: eof}
	if w.n == 0 {
		b.Line, b.Offset = 0, 0
	}
	if *w.done == 0 && w.n > 0 && w.bufLine == 1 {
		b.Reset = true
	}
	b.Cursor = &Position{Kind: "s3", Object: w.key, Line: *w.done + w.n, EOF: eof, Time: w.keyTime}
	lines := int(w.n)
	if err := w.emit(b); err != nil {
		w.emitErr = err
		return err
	}
	w.s.Count(&b, lines)
	*w.done += w.n
	w.buf, w.n = nil, 0
	return nil
}

// finish emits what is left. cause is nil at a clean end, errTransient-
// wrapped for a dropped connection (nothing more is emitted: the object is
// fetched again), or a decode error (the object is corrupt: what was read
// is emitted with EOF and the fault is returned as an objectError).
func (w *lineWriter) finish(ctx context.Context, cause error) error {
	if w.emitErr != nil {
		return w.emitErr
	}
	if cause != nil && errors.Is(cause, errTransient) {
		if err := w.flush(false); err != nil {
			return err
		}
		return cause
	}
	if err := w.flush(true); err != nil {
		return err
	}
	if cause != nil {
		return &objectError{Name: "s3://" + w.s.bucket + "/" + w.key, Lines: *w.done, Err: cause}
	}
	return ctx.Err()
}

// parquetLines turns a Parquet flow-log object into text lines: first a
// header line of the column names (`_` -> `-`), then one space-separated
// line per row in column order, `-` for nulls and empty strings.
func parquetLines(data []byte, line func([]byte) error) error {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	cols := f.Schema().Columns()
	if len(cols) == 0 {
		return fmt.Errorf("parquet: no columns")
	}
	var b []byte
	for i, path := range cols {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, strings.ReplaceAll(path[len(path)-1], "_", "-")...)
	}
	b = append(b, '\n')
	if err := line(b); err != nil {
		return err
	}
	vals := make([][]byte, len(cols))
	rows := make([]parquet.Row, 256)
	for _, rg := range f.RowGroups() {
		rr := rg.Rows()
		for {
			n, err := rr.ReadRows(rows)
			for _, row := range rows[:n] {
				for i := range vals {
					vals[i] = append(vals[i][:0], '-')
				}
				for _, v := range row {
					c := v.Column()
					if c < 0 || c >= len(vals) || v.IsNull() {
						continue
					}
					vals[c] = appendParquetValue(vals[c][:0], v)
				}
				b = b[:0]
				for i, v := range vals {
					if i > 0 {
						b = append(b, ' ')
					}
					b = append(b, v...)
				}
				b = append(b, '\n')
				if err := line(b); err != nil {
					rr.Close()
					return err
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				rr.Close()
				return fmt.Errorf("parquet: %w", err)
			}
		}
		rr.Close()
	}
	return nil
}

// appendParquetValue appends v as a flow-log token: numbers in decimal,
// strings with white space replaced (a token never holds a space), "-" for
// an empty string.
func appendParquetValue(b []byte, v parquet.Value) []byte {
	switch v.Kind() {
	case parquet.Int32:
		return strconv.AppendInt(b, int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case parquet.Boolean:
		return strconv.AppendBool(b, v.Boolean())
	case parquet.Float:
		return strconv.AppendFloat(b, float64(v.Float()), 'g', -1, 32)
	case parquet.Double:
		return strconv.AppendFloat(b, v.Double(), 'g', -1, 64)
	case parquet.ByteArray, parquet.FixedLenByteArray:
		s := v.ByteArray()
		if len(s) == 0 {
			return append(b, '-')
		}
		for _, c := range s {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				c = '_'
			}
			b = append(b, c)
		}
		return b
	}
	return append(b, v.String()...)
}

// mib formats a byte count for progress messages.
func mib(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}
