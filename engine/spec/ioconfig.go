package spec

import "encoding/json"

// IOConfig is KafkaSupervisorIOConfig. Fields without a pointer hold their Druid default after
// Decode; pointer fields are optional settings whose absence matters.
type IOConfig struct {
	Type               string         `json:"type,omitempty"`
	Topic              string         `json:"topic,omitempty"`
	TopicPattern       string         `json:"topicPattern,omitempty"`
	Stream             string         `json:"stream,omitempty"` // alias of topic, as Druid echoes it
	InputFormat        *InputFormat   `json:"inputFormat,omitempty"`
	ConsumerProperties map[string]any `json:"consumerProperties"`
	PollTimeout        int64          `json:"pollTimeout"`
	Replicas           int            `json:"replicas"`
	TaskCount          int            `json:"taskCount"`
	TaskDuration       Period         `json:"taskDuration"`
	StartDelay         Period         `json:"startDelay"`
	Period             Period         `json:"period"`
	UseEarliestOffset  bool           `json:"useEarliestOffset"`
	// UseEarliestSequenceNumber is the alias Druid echoes beside useEarliestOffset.
	UseEarliestSequenceNumber         *bool             `json:"useEarliestSequenceNumber,omitempty"`
	CompletionTimeout                 Period            `json:"completionTimeout"`
	LateMessageRejectionPeriod        *Period           `json:"lateMessageRejectionPeriod"`
	EarlyMessageRejectionPeriod       *Period           `json:"earlyMessageRejectionPeriod"`
	LateMessageRejectionStartDateTime *string           `json:"lateMessageRejectionStartDateTime"`
	AutoScalerConfig                  *AutoScalerConfig `json:"autoScalerConfig"`
	IdleConfig                        *IdleConfig       `json:"idleConfig"`
	ConfigOverrides                   json.RawMessage   `json:"configOverrides"`
	StopTaskCount                     *int              `json:"stopTaskCount,omitempty"`
	EmitTimeLagMetrics                *bool             `json:"emitTimeLagMetrics,omitempty"`
	// Legacy holds the Druid fields that have no effect here (skipOffsetGaps,
	// serverPriorityToReplicas; see legacyFields) exactly as submitted, for the echo.
	Legacy map[string]json.RawMessage `json:"-"`
}

// AutoScalerConfig is the lag-based task autoscaler (LagBasedAutoScalerConfig).
type AutoScalerConfig struct {
	EnableTaskAutoScaler                 bool    `json:"enableTaskAutoScaler"`
	TaskCountMax                         int     `json:"taskCountMax"`
	TaskCountMin                         int     `json:"taskCountMin"`
	TaskCountStart                       *int    `json:"taskCountStart,omitempty"`
	MinTriggerScaleActionFrequencyMillis int64   `json:"minTriggerScaleActionFrequencyMillis"`
	AutoScalerStrategy                   string  `json:"autoScalerStrategy"`
	LagCollectionIntervalMillis          int64   `json:"lagCollectionIntervalMillis"`
	LagCollectionRangeMillis             int64   `json:"lagCollectionRangeMillis"`
	ScaleOutThreshold                    int64   `json:"scaleOutThreshold"`
	TriggerScaleOutFractionThreshold     float64 `json:"triggerScaleOutFractionThreshold"`
	ScaleInThreshold                     int64   `json:"scaleInThreshold"`
	TriggerScaleInFractionThreshold      float64 `json:"triggerScaleInFractionThreshold"`
	ScaleActionStartDelayMillis          int64   `json:"scaleActionStartDelayMillis"`
	ScaleActionPeriodMillis              int64   `json:"scaleActionPeriodMillis"`
	ScaleInStep                          int     `json:"scaleInStep"`
	ScaleOutStep                         int     `json:"scaleOutStep"`
	LagAggregate                         string  `json:"lagAggregate,omitempty"`
}

// IdleConfig is ioConfig.idleConfig.
type IdleConfig struct {
	Enabled             bool   `json:"enabled"`
	InactiveAfterMillis *int64 `json:"inactiveAfterMillis"`
}

// DefaultIOConfig returns KafkaSupervisorIOConfig's documented defaults.
func DefaultIOConfig() IOConfig {
	return IOConfig{
		PollTimeout:       100,
		Replicas:          1,
		TaskCount:         1,
		TaskDuration:      MustPeriod("PT1H"),
		StartDelay:        MustPeriod("PT5S"),
		Period:            MustPeriod("PT30S"),
		CompletionTimeout: MustPeriod("PT30M"),
	}
}

// DefaultAutoScalerConfig returns the lag-based autoscaler's documented defaults.
func DefaultAutoScalerConfig() AutoScalerConfig {
	return AutoScalerConfig{
		MinTriggerScaleActionFrequencyMillis: 600000,
		AutoScalerStrategy:                   "lagBased",
		LagCollectionIntervalMillis:          30000,
		LagCollectionRangeMillis:             600000,
		ScaleOutThreshold:                    6000000,
		TriggerScaleOutFractionThreshold:     0.3,
		ScaleInThreshold:                     1000000,
		TriggerScaleInFractionThreshold:      0.9,
		ScaleActionStartDelayMillis:          300000,
		ScaleActionPeriodMillis:              60000,
		ScaleInStep:                          1,
		ScaleOutStep:                         2,
	}
}

// UnmarshalJSON fills defaults for keys that are absent.
func (a *AutoScalerConfig) UnmarshalJSON(b []byte) error {
	type plain AutoScalerConfig
	p := plain(DefaultAutoScalerConfig())
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*a = AutoScalerConfig(p)
	return nil
}

func (*AutoScalerConfig) strictObject() {}

// DefaultIdleInactiveAfterMillis is the cluster default for idleConfig.inactiveAfterMillis.
const DefaultIdleInactiveAfterMillis = 600000

// StreamName is the topic (or topic pattern) the supervisor reads.
func (c *IOConfig) StreamName() string {
	if c.Topic != "" {
		return c.Topic
	}
	return c.TopicPattern
}
