package input

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/expr"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// delimitedSource reads csv (RFC 4180 quoting), tsv and delimited (no quoting) text
// (Druid's CsvInputFormat / DelimitedInputFormat and their TextReader).
type delimitedSource struct {
	csv        bool
	delim      string
	listDelim  string
	columns    []string
	fromHeader bool
	skip       int

	hdrRaw  []byte   // last header line seen, so an unchanged header is not split again
	hdrCols []string // columns from that header
}

func newDelimitedSource(f *spec.InputFormat) (*delimitedSource, error) {
	s := &delimitedSource{
		csv:       f.Type == "csv",
		delim:     f.DelimiterOrDefault(),
		listDelim: f.ListDelimiterOrDefault(),
		columns:   f.Columns,
		skip:      f.SkipHeaderRows,
	}
	s.fromHeader = (f.FindColumnsFromHeader != nil && *f.FindColumnsFromHeader) || (f.HasHeaderRow != nil && *f.HasHeaderRow)
	if s.csv {
		s.delim = ","
	}
	if s.delim == "" {
		return nil, fmt.Errorf("delimiter: must not be empty")
	}
	if s.skip < 0 {
		return nil, fmt.Errorf("skipHeaderRows: must be ≥ 0")
	}
	if s.listDelim == s.delim {
		return nil, fmt.Errorf("listDelimiter: must differ from the column delimiter %q", s.delim)
	}
	if !s.fromHeader {
		if len(s.columns) == 0 {
			return nil, fmt.Errorf("columns: required unless findColumnsFromHeader is true")
		}
		if err := checkColumns(s.columns); err != nil {
			return nil, fmt.Errorf("columns: %w", err)
		}
	}
	return s, nil
}

func checkColumns(cols []string) error {
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		if seen[c] {
			return fmt.Errorf("duplicate column %q", c)
		}
		seen[c] = true
	}
	return nil
}

// nextLine returns the line starting at data[i:] and the offset after its newline. In csv
// mode newlines inside quotes belong to the line.
func (s *delimitedSource) nextLine(data []byte, i int) ([]byte, int) {
	start := i
	if !s.csv {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return trimCR(data[start:]), len(data)
		}
		return trimCR(data[start : i+j]), i + j + 1
	}
	inQuote := false
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			inQuote = !inQuote
		case '\n':
			if !inQuote {
				return trimCR(data[start:i]), i + 1
			}
		}
	}
	return trimCR(data[start:]), len(data)
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

func (s *delimitedSource) read(data []byte, r *Row, each func(*ParseError) error) error {
	pos := 0
	for n := 0; n < s.skip && pos < len(data); n++ {
		_, pos = s.nextLine(data, pos)
	}
	cols := s.columns
	if s.fromHeader {
		var hdr []byte
		for pos < len(data) {
			hdr, pos = s.nextLine(data, pos)
			if len(bytes.TrimSpace(hdr)) > 0 {
				break
			}
			hdr = nil
		}
		if hdr == nil {
			return nil
		}
		if !bytes.Equal(hdr, s.hdrRaw) || s.hdrCols == nil {
			var names []string
			var tmp Row
			if err := s.split(hdr, &tmp, func(_ int, v string) bool { names = append(names, strings.Clone(v)); return true }); err != nil {
				return newParseError(data, "header: "+err.Error())
			}
			if err := checkColumns(names); err != nil {
				return newParseError(data, "header: "+err.Error())
			}
			s.hdrRaw, s.hdrCols = append(s.hdrRaw[:0], hdr...), names
		}
		cols = s.hdrCols
	}
	for pos < len(data) {
		var line []byte
		line, pos = s.nextLine(data, pos)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r.reset()
		r.input = line
		err := s.split(line, r, func(i int, v string) bool {
			if i >= len(cols) {
				return false
			}
			r.add(cols[i], s.value(r, v))
			return true
		})
		if err != nil {
			if err := each(newParseError(line, "unable to parse row: "+err.Error())); err != nil {
				return err
			}
			continue
		}
		if err := each(nil); err != nil {
			return err
		}
	}
	return nil
}

// value splits a multi-value field on listDelimiter.
func (s *delimitedSource) value(r *Row, v string) expr.Value {
	if s.listDelim == "" || !strings.Contains(v, s.listDelim) {
		return expr.String(v)
	}
	start := len(r.strs)
	for {
		i := strings.Index(v, s.listDelim)
		if i < 0 {
			r.strs = append(r.strs, v)
			break
		}
		r.strs = append(r.strs, v[:i])
		v = v[i+len(s.listDelim):]
	}
	return r.multi(start)
}

// split calls fn with each field of line until fn returns false. Unquoted fields and quoted
// fields without doubled quotes are not copied.
func (s *delimitedSource) split(line []byte, r *Row, fn func(i int, v string) bool) error {
	if !s.csv {
		text := b2s(line)
		for i := 0; ; i++ {
			j := strings.Index(text, s.delim)
			if j < 0 {
				fn(i, text)
				return nil
			}
			if !fn(i, text[:j]) {
				return nil
			}
			text = text[j+len(s.delim):]
		}
	}
	pos := 0
	for i := 0; ; i++ {
		var v string
		if pos < len(line) && line[pos] == '"' {
			pos++
			start, escaped := pos, false
			for {
				q := bytes.IndexByte(line[pos:], '"')
				if q < 0 {
					return fmt.Errorf("unterminated quoted field")
				}
				pos += q
				if pos+1 < len(line) && line[pos+1] == '"' {
					escaped = true
					pos += 2
					continue
				}
				break
			}
			if escaped {
				st := len(r.buf)
				seg := line[start:pos]
				for {
					q := bytes.Index(seg, []byte(`""`))
					if q < 0 {
						r.buf = append(r.buf, seg...)
						break
					}
					r.buf = append(r.buf, seg[:q+1]...)
					seg = seg[q+2:]
				}
				v = r.arenaString(st)
			} else {
				v = b2s(line[start:pos])
			}
			pos++ // closing quote
			if pos < len(line) && line[pos] != ',' {
				return fmt.Errorf("unexpected text after closing quote")
			}
		} else {
			j := bytes.IndexByte(line[pos:], ',')
			if j < 0 {
				v = b2s(line[pos:])
				pos = len(line)
			} else {
				v = b2s(line[pos : pos+j])
				pos += j
			}
		}
		if !fn(i, v) {
			return nil
		}
		if pos >= len(line) {
			return nil
		}
		pos++ // comma
		if pos == len(line) {
			fn(i+1, "")
			return nil
		}
	}
}
