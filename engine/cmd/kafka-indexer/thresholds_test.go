package main

import (
	"io"
	"strings"
	"testing"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/supervisor"
)

// TestServeHealthThresholdFlags: the four --supervisor-*-threshold flags default to Druid's 3,
// take KAFKA_INDEXER_* fallbacks, and refuse values below 1 and mistyped environment values.
func TestServeHealthThresholdFlags(t *testing.T) {
	c, err := parseServeFlags(nil, io.Discard)
	if err != nil || c.SupervisorThresholds != supervisor.DefaultThresholds() {
		t.Fatalf("defaults: %v %+v", err, c.SupervisorThresholds)
	}
	t.Setenv("KAFKA_INDEXER_SUPERVISOR_TASK_UNHEALTHINESS_THRESHOLD", "7")
	c, err = parseServeFlags([]string{"--supervisor-healthiness-threshold", "5", "--supervisor-unhealthiness-threshold", "1",
		"--supervisor-task-healthiness-threshold", "2"}, io.Discard)
	if want := (supervisor.Thresholds{HealthinessThreshold: 5, UnhealthinessThreshold: 1, TaskHealthinessThreshold: 2, TaskUnhealthinessThreshold: 7}); err != nil || c.SupervisorThresholds != want {
		t.Fatalf("flags and env: %v %+v, want %+v", err, c.SupervisorThresholds, want)
	}
	if _, err := parseServeFlags([]string{"--supervisor-unhealthiness-threshold", "0"}, io.Discard); err == nil || !strings.Contains(err.Error(), "--supervisor-unhealthiness-threshold must be ≥ 1") {
		t.Fatalf("threshold 0: %v", err)
	}
	t.Setenv("KAFKA_INDEXER_SUPERVISOR_TASK_UNHEALTHINESS_THRESHOLD", "three")
	if _, err := parseServeFlags(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "KAFKA_INDEXER_SUPERVISOR_TASK_UNHEALTHINESS_THRESHOLD") {
		t.Fatalf("mistyped env accepted: %v", err)
	}
}
