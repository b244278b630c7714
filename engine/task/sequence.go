package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// sequence is one publish unit: the rows of offsets [start, end) of each partition. Sequence n's
// name (baseSequenceName_n) keys segment allocation, so replicas that build the same sequences
// get the same segment ids.
type sequence struct {
	id    int
	name  string
	start Offsets
	end   Offsets // EndOfPartition while open
	// endSet is Druid's "checkpointed": the end offsets were fixed by a checkpoint, by finish, or
	// by a stop. Until then the sequence may still be split by a checkpoint, even when a bounded
	// task gave it a finite end.
	endSet    bool
	sinks     map[int64]*sink
	published bool
	opened    time.Time // for intermediateHandoffPeriod
	rows      int64     // rows added (post-parse, pre-rollup), for maxTotalRows
	segments  []string  // ids of the segments published by this sequence
}

func newSequence(base string, id int, start, end Offsets, now time.Time) *sequence {
	return &sequence{id: id, name: base + "_" + strconv.Itoa(id), start: start.Clone(), end: end.Clone(), sinks: map[int64]*sink{}, opened: now}
}

// isOpen reports whether some partition has no end yet.
func (s *sequence) isOpen() bool {
	for _, e := range s.end {
		if e == EndOfPartition {
			return true
		}
	}
	return false
}

// contains reports whether the offset of partition p belongs to this sequence.
func (s *sequence) contains(p druidapi.Partition, offset int64) bool {
	st, ok := s.start[p]
	return ok && offset >= st && offset < s.end[p]
}

// fullyRead reports whether every partition's current offset has reached the sequence end.
func (s *sequence) fullyRead(current Offsets) bool {
	if s.isOpen() {
		return false
	}
	for p, e := range s.end {
		if current[p] < e {
			return false
		}
	}
	return true
}

// buildSequences lays out the sequences a task starts with: one per checkpoint (from the
// supervisor's context, so a replacement replica rebuilds identical boundaries), each ending
// where the next begins, the last one ending at the task's end offsets.
func buildSequences(s *Spec, now time.Time) ([]*sequence, error) {
	base := s.Payload.IOConfig.BaseSequenceName
	starts := map[int]Offsets{0: s.Start}
	for id, offs := range s.Checkpoints {
		starts[id] = offs
	}
	ids := slices.Sorted(maps.Keys(starts))
	// A checkpoint map from the supervisor starts at the group's first sequence, which may be
	// later than 0 when earlier sequences are already published; it replaces sequence 0 then.
	if len(s.Checkpoints) > 0 {
		if _, has0 := s.Checkpoints[0]; !has0 {
			ids = ids[1:]
		}
	}
	var out []*sequence
	for i, id := range ids {
		end := s.End
		if i+1 < len(ids) {
			end = starts[ids[i+1]]
		}
		for p, e := range end {
			if st, ok := starts[id][p]; ok && e < st {
				return nil, fmt.Errorf("checkpoint %d ends partition %s at %d, before its start %d", id, p, e, st)
			}
		}
		seq := newSequence(base, id, starts[id], end, now)
		seq.endSet = i+1 < len(ids)
		out = append(out, seq)
	}
	return out, nil
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// sequencesFile records the task's sequence boundaries in its work directory (Druid's
// sequences.json), rewritten at every checkpoint, so a restarted task rebuilds the same
// sequences, and with them the same segment ids, even for checkpoints it decided itself.
const sequencesFile = "sequences.json"

type savedSequence struct {
	ID     int     `json:"id"`
	Start  Offsets `json:"start"`
	End    Offsets `json:"end"`
	EndSet bool    `json:"endSet"`
}

func saveSequences(dir string, seqs []*sequence) error {
	out := make([]savedSequence, len(seqs))
	for i, s := range seqs {
		out[i] = savedSequence{ID: s.id, Start: s.start, End: s.end, EndSet: s.endSet}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, sequencesFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, sequencesFile))
}

// loadSequences reads saved boundaries; (nil, nil) when there are none.
func loadSequences(dir, base string, now time.Time) ([]*sequence, error) {
	b, err := os.ReadFile(filepath.Join(dir, sequencesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var saved []savedSequence
	if err := json.Unmarshal(b, &saved); err != nil {
		return nil, fmt.Errorf("read %s: %w", sequencesFile, err)
	}
	var out []*sequence
	for _, s := range saved {
		seq := newSequence(base, s.ID, s.Start, s.End, now)
		seq.endSet = s.EndSet
		out = append(out, seq)
	}
	return out, nil
}
