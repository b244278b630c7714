package spec

import (
	"fmt"
	"time"
)

// Upper bounds on what one supervisor spec may ask for. Druid has no hard caps (it trusts the
// operator and the Overlord's worker capacity), but a single request with replicas: 1000000 must
// not be able to create tasks faster than the engine can fail them, so we refuse such specs at
// the door. The bounds are far above anything a Kafka topic needs: a task reads at least one
// partition, and topics beyond a thousand partitions are rare; Druid's docs recommend 1–3
// replicas.
const (
	// MaxReplicas bounds ioConfig.replicas.
	MaxReplicas = 16
	// MaxTaskCount bounds ioConfig.taskCount, autoScalerConfig.taskCountMin, taskCountMax and
	// taskCountStart, and ioConfig.stopTaskCount.
	MaxTaskCount = 1000
)

// Millisecond settings are bounded so that time.Duration(v)*time.Millisecond cannot wrap.
const (
	day     = int64(24 * time.Hour / time.Millisecond)
	maxWeek = 7 * day
	maxYear = 365 * day
)

// maxRule is the upper bound of an integer setting whose lower bound is in rules.
type maxRule struct {
	path string
	get  func(s *Supervisor) (int64, bool) // value, and whether the rule applies
	max  int64
}

// maxRules read like rules ("ioConfig.replicas: must be ≤ 16, got 1000000").
var maxRules = []maxRule{
	{"ioConfig.replicas", always(func(s *Supervisor) int64 { return int64(s.IOConfig.Replicas) }), MaxReplicas},
	{"ioConfig.pollTimeout", always(func(s *Supervisor) int64 { return s.IOConfig.PollTimeout }), int64(time.Minute / time.Millisecond)},
	{"ioConfig.stopTaskCount", func(s *Supervisor) (int64, bool) {
		if s.IOConfig.StopTaskCount == nil {
			return 0, false
		}
		return int64(*s.IOConfig.StopTaskCount), true
	}, MaxTaskCount},
	{"ioConfig.autoScalerConfig.taskCountMin", autoscaler(func(a *AutoScalerConfig) int64 { return int64(a.TaskCountMin) }), MaxTaskCount},
	{"ioConfig.autoScalerConfig.taskCountMax", autoscaler(func(a *AutoScalerConfig) int64 { return int64(a.TaskCountMax) }), MaxTaskCount},
	{"ioConfig.autoScalerConfig.taskCountStart", func(s *Supervisor) (int64, bool) {
		if a := s.IOConfig.AutoScalerConfig; a != nil && a.EnableTaskAutoScaler && a.TaskCountStart != nil {
			return int64(*a.TaskCountStart), true
		}
		return 0, false
	}, MaxTaskCount},
	// After the autoscaler's bounds: normalize copies taskCountStart or taskCountMin into
	// taskCount, and the message should name the field the user wrote.
	{"ioConfig.taskCount", always(func(s *Supervisor) int64 { return int64(s.IOConfig.TaskCount) }), MaxTaskCount},
	{"ioConfig.autoScalerConfig.scaleInStep", autoscaler(func(a *AutoScalerConfig) int64 { return int64(a.ScaleInStep) }), MaxTaskCount},
	{"ioConfig.autoScalerConfig.scaleOutStep", autoscaler(func(a *AutoScalerConfig) int64 { return int64(a.ScaleOutStep) }), MaxTaskCount},
	{"ioConfig.autoScalerConfig.minTriggerScaleActionFrequencyMillis", autoscaler(func(a *AutoScalerConfig) int64 { return a.MinTriggerScaleActionFrequencyMillis }), maxWeek},
	{"ioConfig.autoScalerConfig.lagCollectionIntervalMillis", autoscaler(func(a *AutoScalerConfig) int64 { return a.LagCollectionIntervalMillis }), day},
	{"ioConfig.autoScalerConfig.lagCollectionRangeMillis", autoscaler(func(a *AutoScalerConfig) int64 { return a.LagCollectionRangeMillis }), maxWeek},
	{"ioConfig.autoScalerConfig.scaleActionStartDelayMillis", autoscaler(func(a *AutoScalerConfig) int64 { return a.ScaleActionStartDelayMillis }), maxWeek},
	{"ioConfig.autoScalerConfig.scaleActionPeriodMillis", autoscaler(func(a *AutoScalerConfig) int64 { return a.ScaleActionPeriodMillis }), maxWeek},
	{"ioConfig.idleConfig.inactiveAfterMillis", func(s *Supervisor) (int64, bool) {
		if c := s.IOConfig.IdleConfig; c != nil && c.InactiveAfterMillis != nil {
			return *c.InactiveAfterMillis, true
		}
		return 0, false
	}, maxYear},
	{"tuningConfig.handoffConditionTimeout", always(func(s *Supervisor) int64 { return s.TuningConfig.HandoffConditionTimeout }), maxYear},
	{"tuningConfig.chatRetries", always(func(s *Supervisor) int64 { return s.TuningConfig.ChatRetries }), 1000},
	{"tuningConfig.numPersistThreads", always(func(s *Supervisor) int64 { return int64(s.TuningConfig.NumPersistThreads) }), 64},
	{"tuningConfig.numParseThreads", always(func(s *Supervisor) int64 { return int64(s.TuningConfig.NumParseThreads) }), 64},
}

// periodRange bounds one period setting. Lower bounds keep a spec from churning tasks or
// spinning a loop (taskDuration PT0.001S started nine tasks a second); upper bounds keep every
// conversion to time.Duration (~292 years) and every now+period sum from wrapping
// (taskDuration PT2562048H wrapped to a negative length and published every run). A zero min
// or max means no bound on that side.
type periodRange struct {
	path     string
	get      func(s *Supervisor) *Period // nil: the setting is absent
	min, max time.Duration
}

// The ranges are listed in docs/configuration.md.
var periodRanges = []periodRange{
	{"ioConfig.taskDuration", func(s *Supervisor) *Period { return &s.IOConfig.TaskDuration }, time.Second, 365 * 24 * time.Hour},
	{"ioConfig.startDelay", func(s *Supervisor) *Period { return &s.IOConfig.StartDelay }, 0, 24 * time.Hour},
	{"ioConfig.period", func(s *Supervisor) *Period { return &s.IOConfig.Period }, 100 * time.Millisecond, 24 * time.Hour},
	{"ioConfig.completionTimeout", func(s *Supervisor) *Period { return &s.IOConfig.CompletionTimeout }, time.Second, 7 * 24 * time.Hour},
	{"ioConfig.lateMessageRejectionPeriod", func(s *Supervisor) *Period { return s.IOConfig.LateMessageRejectionPeriod }, 0, 3650 * 24 * time.Hour},
	{"ioConfig.earlyMessageRejectionPeriod", func(s *Supervisor) *Period { return s.IOConfig.EarlyMessageRejectionPeriod }, 0, 3650 * 24 * time.Hour},
	{"tuningConfig.intermediatePersistPeriod", func(s *Supervisor) *Period { return &s.TuningConfig.IntermediatePersistPeriod }, time.Second, 7 * 24 * time.Hour},
	{"tuningConfig.httpTimeout", func(s *Supervisor) *Period { return &s.TuningConfig.HTTPTimeout }, time.Second, time.Hour},
	{"tuningConfig.shutdownTimeout", func(s *Supervisor) *Period { return &s.TuningConfig.ShutdownTimeout }, time.Second, time.Hour},
	{"tuningConfig.offsetFetchPeriod", func(s *Supervisor) *Period { return &s.TuningConfig.OffsetFetchPeriod }, 0, time.Hour},
	// intermediateHandoffPeriod's default is Druid's "never" (P2147483647D), so it has no upper
	// bound: Duration saturates at MaxDuration and the task treats that as never.
	{"tuningConfig.intermediateHandoffPeriod", func(s *Supervisor) *Period { return &s.TuningConfig.IntermediateHandoffPeriod }, time.Second, 0},
	{"tuningConfig.repartitionTransitionDuration", func(s *Supervisor) *Period { return &s.TuningConfig.RepartitionTransitionDuration }, 0, 24 * time.Hour},
}

// validateBounds applies maxRules and periodRanges. Periods here must have a fixed length:
// their consumers convert them with Duration, which has no answer for months or years.
func (s *Supervisor) validateBounds() error {
	for _, r := range maxRules {
		if v, ok := r.get(s); ok && v > r.max {
			return fieldErr(r.path, fmt.Sprintf("must be ≤ %d, got %d", r.max, v))
		}
	}
	for _, r := range periodRanges {
		p := r.get(s)
		if p == nil {
			continue
		}
		d, err := p.Duration()
		if err != nil {
			return fieldErr(r.path, err.Error())
		}
		if r.min > 0 && d < r.min {
			return fieldErr(r.path, fmt.Sprintf("must be at least %s, got %s", periodOf(r.min), p))
		}
		if r.max > 0 && d > r.max {
			return fieldErr(r.path, fmt.Sprintf("must be at most %s, got %s", periodOf(r.max), p))
		}
	}
	return nil
}

// periodOf writes a bound the way users write periods (PT1S, PT0.1S, P365D).
func periodOf(d time.Duration) string {
	ms := d.Milliseconds()
	if ms%day == 0 {
		return fmt.Sprintf("P%dD", ms/day)
	}
	if ms%int64(time.Hour/time.Millisecond) == 0 {
		return fmt.Sprintf("PT%dH", ms/int64(time.Hour/time.Millisecond))
	}
	return "PT" + formatSeconds(ms)
}
