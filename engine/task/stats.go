package task

import (
	"math"
	"sync"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// RowCounters are the row counters of reference §4.2 (Druid's RowIngestionMeters).
type RowCounters struct {
	Processed          int64 `json:"processed"`
	ProcessedBytes     int64 `json:"processedBytes"`
	ProcessedWithError int64 `json:"processedWithError"`
	ThrownAway         int64 `json:"thrownAway"`
	Unparseable        int64 `json:"unparseable"`
}

// movingRates are the 1m/5m/15m exponentially weighted per-second rates of each counter, like
// Druid's DropwizardRowIngestionMeters.
type movingRates struct {
	processed, bytes, withError, thrownAway, unparseable [3]float64
}

// windows are the averaging windows in seconds.
var windows = [3]float64{60, 300, 900}

// Stats holds a task's counters, their moving averages and its saved parse exceptions. Safe
// for concurrent use: the read loop writes, the chat API reads.
type Stats struct {
	mu       sync.Mutex
	totals   RowCounters
	last     RowCounters
	lastTick time.Time
	rates    movingRates

	saved      []ParseExceptionReport // ring buffer, oldest first
	maxSaved   int
	recordsPer map[druidapi.Partition]int64 // partition → rows added (completion report)
}

// ParseExceptionReport is one saved parse exception (Druid's ParseExceptionReport).
type ParseExceptionReport struct {
	Input                 string   `json:"input"`
	ErrorType             string   `json:"errorType"`
	Details               []string `json:"details"`
	TimeOfExceptionMillis int64    `json:"timeOfExceptionMillis"`
}

func newStats(maxSaved int64, now time.Time) *Stats {
	return &Stats{maxSaved: int(min(maxSaved, 10000)), lastTick: now, recordsPer: map[druidapi.Partition]int64{}}
}

// add applies a delta under the lock.
func (s *Stats) add(f func(c *RowCounters)) {
	s.mu.Lock()
	f(&s.totals)
	s.mu.Unlock()
}

// addRows counts rows ingested from one partition.
func (s *Stats) addRows(partition druidapi.Partition, n int64) {
	s.mu.Lock()
	s.totals.Processed += n
	s.recordsPer[partition] += n
	s.mu.Unlock()
}

func (s *Stats) saveParseException(r ParseExceptionReport) {
	if s.maxSaved <= 0 {
		return
	}
	s.mu.Lock()
	if len(s.saved) >= s.maxSaved {
		copy(s.saved, s.saved[1:])
		s.saved = s.saved[:len(s.saved)-1]
	}
	s.saved = append(s.saved, r)
	s.mu.Unlock()
}

// tick folds the increase since the last tick into the moving averages; the read loop calls it
// about once a second.
func (s *Stats) tick(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dt := now.Sub(s.lastTick).Seconds()
	if dt < 1 {
		return
	}
	d := s.totals
	l := s.last
	for i, w := range windows {
		alpha := 1 - math.Exp(-dt/w)
		upd := func(rate *float64, delta int64) { *rate += alpha * (float64(delta)/dt - *rate) }
		upd(&s.rates.processed[i], d.Processed-l.Processed)
		upd(&s.rates.bytes[i], d.ProcessedBytes-l.ProcessedBytes)
		upd(&s.rates.withError[i], d.ProcessedWithError-l.ProcessedWithError)
		upd(&s.rates.thrownAway[i], d.ThrownAway-l.ThrownAway)
		upd(&s.rates.unparseable[i], d.Unparseable-l.Unparseable)
	}
	s.last, s.lastTick = d, now
}

// Totals returns the counters.
func (s *Stats) Totals() RowCounters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totals
}

// RowStats is the body of the chat API's /rowStats.
func (s *Stats) RowStats() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	avg := map[string]any{}
	for i, name := range []string{"1m", "5m", "15m"} {
		avg[name] = map[string]float64{
			"processed": s.rates.processed[i], "processedBytes": s.rates.bytes[i],
			"processedWithError": s.rates.withError[i], "thrownAway": s.rates.thrownAway[i],
			"unparseable": s.rates.unparseable[i],
		}
	}
	return map[string]any{
		"movingAverages": map[string]any{"buildSegments": avg},
		"totals":         map[string]any{"buildSegments": s.totals},
	}
}

// ParseExceptions returns the saved reports, newest first.
func (s *Stats) ParseExceptions() []ParseExceptionReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ParseExceptionReport, len(s.saved))
	for i, r := range s.saved {
		out[len(s.saved)-1-i] = r
	}
	return out
}

// RecordsProcessed returns rows added per partition, for the completion report.
func (s *Stats) RecordsProcessed() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.recordsPer))
	for p, n := range s.recordsPer {
		out[p.String()] = n
	}
	return out
}
