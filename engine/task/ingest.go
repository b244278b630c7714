package task

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/input"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/metrics"
)

// ingest parses one Kafka record and adds its rows to the sequence its offset belongs to.
// Parse errors are counted and saved, never dropped silently; too many of them fail the task.
// With parsed set, the record was parsed ahead on a parse goroutine (ingestParallel): rows and
// parsed.err are what Parse emitted and returned, replayed here in the same order. checked
// holds each row's CheckTypes result when the parse goroutine checked the types too (nil:
// check here).
func (l *loop) ingest(rec *kgo.Record, parsed *parsedRecord, rows []input.Row, checked []*input.ParseError) error {
	p, off := l.t.spec.PartitionOf(rec.Topic, rec.Partition), rec.Offset
	cur, ok := l.current[p]
	if !ok {
		return nil // not ours (cannot happen with explicit assignment)
	}
	if off < cur {
		return fmt.Errorf("record offset %d of partition %s is smaller than the current offset %d", off, p, cur)
	}
	seq := l.sequenceFor(p, off)
	if seq == nil {
		return nil // beyond the task's end: not read
	}
	delete(l.stalled, p)
	stats := l.t.stats
	stats.add(func(c *RowCounters) { c.ProcessedBytes += int64(len(rec.Value)) })
	// The emit callback is created once per task (l.emit): a closure per record would be a
	// heap allocation per record, since the parser keeps it while parsing.
	l.emitSeq, l.emitPart, l.emitRows = seq, p, 0
	var err error
	switch {
	case parsed == nil:
		var headers []input.Header
		if len(rec.Headers) > 0 {
			headers = make([]input.Header, len(rec.Headers))
			for i, h := range rec.Headers {
				headers[i] = input.Header{Key: h.Key, Value: h.Value}
			}
		}
		in := input.Record{Key: rec.Key, Value: rec.Value, Timestamp: rec.Timestamp.UnixMilli(), Topic: rec.Topic, Headers: headers, Partition: rec.Partition, Offset: off}
		err = l.parser.Parse(in, l.emit)
	case isStall(parsed.err):
		// Nothing is replayed: the record is retried (stall.go). Rows the parser emitted anyway
		// would break its contract; they count for the check below.
		err, l.emitRows = parsed.err, len(rows)
	default:
		// Parse stops at the first error emit returns and returns it unchanged; so does this.
		err = parsed.err
		for i := range rows {
			l.emitRows++
			var e error
			if checked != nil {
				e = l.addCheckedRow(seq, p, &rows[i], checked[i])
			} else {
				e = l.addRow(seq, p, &rows[i])
			}
			if e != nil {
				err = e
				break
			}
		}
	}
	nrows := l.emitRows
	if isStall(err) {
		if nrows > 0 {
			// The parser contract says this cannot happen; failing beats duplicating rows.
			return fmt.Errorf("record at offset %d of partition %s: %d rows were added before: %w", off, p, nrows, err)
		}
		stats.add(func(c *RowCounters) { c.ProcessedBytes -= int64(len(rec.Value)) })
		return err // not counted, not skipped: poll retries it (stall.go)
	}
	if perrs := input.AsParseErrors(err); perrs != nil {
		for _, pe := range perrs {
			if err := l.parseException(pe); err != nil {
				return err
			}
		}
	} else if err != nil {
		return err
	}
	if nrows == 0 && err == nil {
		// A null or empty record, or one whose value holds no row: Druid counts it thrown away.
		l.throwAway(metrics.ThrownAwayNull)
	}
	l.current[p] = off + 1
	return nil
}

// emitRow receives each row the parser yields for the record being ingested.
func (l *loop) emitRow(row *input.Row) error {
	l.emitRows++
	return l.addRow(l.emitSeq, l.emitPart, row)
}

// sequenceFor finds the sequence whose offset range holds the record, nil past the end.
func (l *loop) sequenceFor(p druidapi.Partition, off int64) *sequence {
	for _, s := range l.seqs {
		if !s.published && s.contains(p, off) {
			return s
		}
	}
	return nil
}

// addRow applies transforms, the filter and the message-time window, then adds the row.
func (l *loop) addRow(seq *sequence, partition druidapi.Partition, row *input.Row) error {
	return l.addRowTyped(seq, partition, row, false, nil)
}

// addCheckedRow is addRow for a row whose types a parse goroutine checked already: partial is
// what CheckTypes returned for it.
func (l *loop) addCheckedRow(seq *sequence, partition druidapi.Partition, row *input.Row, partial *input.ParseError) error {
	return l.addRowTyped(seq, partition, row, true, partial)
}

func (l *loop) addRowTyped(seq *sequence, partition druidapi.Partition, row *input.Row, checked bool, partial *input.ParseError) error {
	stats := l.t.stats
	keep, err := l.transform.Apply(row)
	if err != nil {
		return l.parseException(&input.ParseError{Input: string(row.Input()), Details: []string{err.Error()}})
	}
	if !keep {
		l.throwAway(metrics.ThrownAwayFiltered)
		return nil
	}
	if s := l.t.spec; s.MinTime != nil && row.Time < s.MinTime.UnixMilli() {
		l.throwAway(metrics.ThrownAwayBeforeMin)
		return nil
	}
	if s := l.t.spec; s.MaxTime != nil && row.Time > s.MaxTime.UnixMilli() {
		l.throwAway(metrics.ThrownAwayAfterMax)
		return nil
	}
	if !checked {
		partial = l.parser.CheckTypes(row)
	}
	sk, ixErr, err := l.builder.add(seq, row)
	if pe, ok := err.(*input.ParseError); ok {
		// The row's segment interval cannot be written (builder.checkBucket): unparseable.
		pe.Input = string(row.Input())
		return l.parseException(pe)
	}
	if err != nil {
		return err
	}
	if partial == nil && ixErr != nil {
		partial = &input.ParseError{Input: string(row.Input()), Details: []string{ixErr.Error()}}
	}
	seq.rows++
	stats.addRows(partition, 1)
	if !l.cut && l.segmentLimitReached(seq, sk) {
		l.cut = true
	}
	if partial != nil {
		partial.Partial = true
		return l.parseException(partial)
	}
	return nil
}

// parseException counts a parse problem as unparseable or processedWithError, saves and logs it
// as configured, and fails the task once maxParseExceptions is exceeded.
func (l *loop) parseException(pe *input.ParseError) error {
	t := l.t
	kind := "unparseable"
	t.stats.add(func(c *RowCounters) {
		if pe.Partial {
			c.ProcessedWithError++
			// The row itself was counted as processed; Druid counts it only as processedWithError.
			c.Processed--
			kind = "processedWithError"
		} else {
			c.Unparseable++
		}
	})
	t.stats.saveParseException(ParseExceptionReport{Input: pe.Input, ErrorType: kind, Details: pe.Details, TimeOfExceptionMillis: t.opts.Now().UnixMilli()})
	if t.spec.Tuning.LogParseExceptions {
		t.log.Warn("parse exception", "type", kind, "details", strings.Join(pe.Details, "; "), "input", truncate(pe.Input, 512))
	}
	maxParse, _ := t.spec.Tuning.EffectiveParseExceptionLimits()
	tot := t.stats.Totals()
	if tot.Unparseable+tot.ProcessedWithError > maxParse {
		//lint:ignore ST1005 Druid's exact message, which task reports carry
		return fmt.Errorf("Max parse exceptions[%d] exceeded", maxParse)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
