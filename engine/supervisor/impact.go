package supervisor

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/metadata"
	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// Impact says what replacing a supervisor's spec does to its running tasks. The values are the
// wire strings of the "impact" field of POST /supervisor?validateOnly=true, ordered from the
// least to the most disruptive.
type Impact string

const (
	// ImpactNone: the new spec is equivalent to the stored one (defaults and spellings aside).
	// The update stores a new version and restarts the supervisor, which adopts every task.
	ImpactNone Impact = "none"
	// ImpactKeepTasks: only ioConfig settings that the supervisor alone uses changed (durations,
	// periods, the autoscaler, useEarliestOffset); the restarted supervisor adopts every task.
	ImpactKeepTasks Impact = "keepTasks"
	// ImpactHandoff: something a task was built from changed (dataSchema, tuningConfig,
	// context, or ioConfig settings copied into tasks or that change the partition allocation),
	// so every reading task group is told to publish and new tasks start at its end offsets.
	// This is what Druid does on every spec update.
	ImpactHandoff Impact = "handoff"
	// ImpactResetRequired: the topic changed while offsets of the old topic are stored. The
	// update is accepted and hands off every group, but the stored offsets no longer apply:
	// the new topic is read from useEarliestOffset's end and the old offsets are overwritten by
	// the first publish. Reset the supervisor if that is not what you want.
	ImpactResetRequired Impact = "resetRequired"
)

func (i Impact) rank() int {
	return slices.Index([]Impact{ImpactNone, ImpactKeepTasks, ImpactHandoff, ImpactResetRequired}, i)
}

// UpdateImpact is the dry-run answer for a spec whose supervisor exists.
type UpdateImpact struct {
	Impact Impact
	// Fields are the JSON paths that differ from the stored spec, sorted, e.g.
	// "dataSchema.granularitySpec.segmentGranularity". Empty for ImpactNone.
	Fields []string
	// Reason explains ImpactResetRequired; empty otherwise.
	Reason string
}

// supervisorOnlyIOConfig lists the ioConfig keys that only the supervisor reads: changing them
// neither changes what running tasks do nor how partitions are assigned to groups, so a
// restarted supervisor can adopt its tasks. Every other ioConfig key (consumerProperties,
// inputFormat, pollTimeout, taskCount, replicas, the topic) reaches or shapes the tasks.
var supervisorOnlyIOConfig = map[string]bool{
	"taskDuration": true, "startDelay": true, "period": true, "completionTimeout": true,
	"lateMessageRejectionPeriod": true, "earlyMessageRejectionPeriod": true,
	"lateMessageRejectionStartDateTime": true, "useEarliestOffset": true,
	"autoScalerConfig": true, "idleConfig": true,
	"emitTimeLagMetrics": true,
}

// classifyUpdate compares the stored spec with its replacement. stored is the datasource's
// stored offsets, nil when there are none. The suspended flag counts only when the replacement
// suspends a running supervisor (a hand-off, as the suspend endpoint does); a spec posted
// without the flag to a suspended supervisor resumes it, which has no tasks to keep or hand
// off, and dry runs of clients that post the live flag on apply (the Terraform provider) send
// none.
func classifyUpdate(old, next *spec.Supervisor, stored *metadata.DataSourceMetadata) UpdateImpact {
	var a, b map[string]any
	_ = json.Unmarshal(old.Raw(), &a)
	_ = json.Unmarshal(next.Raw(), &b)
	delete(a, "suspended")
	delete(b, "suspended")
	// Raw nests the sections under "spec"; report them as users write them, without the
	// aliases Druid echoes beside the real keys.
	for _, m := range []map[string]any{a, b} {
		if s, ok := m["spec"].(map[string]any); ok {
			delete(m, "spec")
			maps.Copy(m, s)
		}
		if io, ok := m["ioConfig"].(map[string]any); ok {
			delete(io, "stream")
			delete(io, "useEarliestSequenceNumber")
		}
	}
	var fields []string
	diffPaths("", a, b, &fields)
	slices.Sort(fields)
	out := UpdateImpact{Impact: ImpactNone, Fields: fields}
	raise := func(i Impact) {
		if i.rank() > out.Impact.rank() {
			out.Impact = i
		}
	}
	for _, f := range fields {
		key, ok := strings.CutPrefix(f, "ioConfig.")
		switch {
		case !ok:
			raise(ImpactHandoff)
		case supervisorOnlyIOConfig[strings.SplitN(key, ".", 2)[0]]:
			raise(ImpactKeepTasks)
		default:
			raise(ImpactHandoff)
		}
	}
	if next.Suspended && !old.Suspended {
		// Suspending by POST: the suspended run loop must hand off the running groups.
		out.Fields = append([]string{"suspended"}, out.Fields...)
		slices.Sort(out.Fields)
		raise(ImpactHandoff)
	}
	if oldStream, newStream := old.IOConfig.StreamName(), next.IOConfig.StreamName(); oldStream != newStream &&
		stored != nil && stored.Stream == oldStream && len(stored.Offsets) > 0 {
		raise(ImpactResetRequired)
		start := "latest"
		if next.IOConfig.UseEarliestOffset {
			start = "earliest"
		}
		out.Reason = fmt.Sprintf("the stored offsets are for topic %s and do not apply to %s: it is read from its %s offsets "+
			"(ioConfig.useEarliestOffset) and the first publish replaces the stored offsets; reset the supervisor to start over deliberately",
			oldStream, newStream, start)
	}
	return out
}

// diffPaths appends the dotted paths under prefix where a and b differ. Objects are compared
// key by key; any other value, arrays included, as a whole.
func diffPaths(prefix string, a, b any, out *[]string) {
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if !okA || !okB {
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, prefix)
		}
		return
	}
	keys := map[string]bool{}
	for k := range ma {
		keys[k] = true
	}
	for k := range mb {
		keys[k] = true
	}
	for k := range keys {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		diffPaths(p, ma[k], mb[k], out)
	}
}
