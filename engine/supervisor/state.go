package supervisor

// State is a supervisor's detailed state, using Druid's wire names (SupervisorStateManager.State
// and SeekableStreamSupervisorStateManager.SeekableStreamState).
type State string

// Detailed states. Basic returns the coarse state each maps to.
const (
	StatePending                 State = "PENDING"
	StateConnectingToStream      State = "CONNECTING_TO_STREAM"
	StateDiscoveringInitialTasks State = "DISCOVERING_INITIAL_TASKS"
	StateCreatingTasks           State = "CREATING_TASKS"
	StateRunning                 State = "RUNNING"
	StateSuspended               State = "SUSPENDED"
	StateIdle                    State = "IDLE"
	StateStopping                State = "STOPPING"
	StateUnableToConnectToStream State = "UNABLE_TO_CONNECT_TO_STREAM"
	StateLostContactWithStream   State = "LOST_CONTACT_WITH_STREAM"
	StateUnhealthySupervisor     State = "UNHEALTHY_SUPERVISOR"
	StateUnhealthyTasks          State = "UNHEALTHY_TASKS"
)

type stateInfo struct {
	basic        State
	healthy      bool
	firstRunOnly bool
}

// states is the table from reference §2.11: basic state, health, and whether the state only
// appears before the first successful run.
var states = map[State]stateInfo{
	StatePending:                 {StatePending, true, true},
	StateConnectingToStream:      {StateRunning, true, true},
	StateDiscoveringInitialTasks: {StateRunning, true, true},
	StateCreatingTasks:           {StateRunning, true, true},
	StateRunning:                 {StateRunning, true, false},
	StateSuspended:               {StateSuspended, true, false},
	StateIdle:                    {StateIdle, true, false},
	StateStopping:                {StateStopping, true, false},
	StateUnableToConnectToStream: {StateUnhealthySupervisor, false, true},
	StateLostContactWithStream:   {StateUnhealthySupervisor, false, false},
	StateUnhealthySupervisor:     {StateUnhealthySupervisor, false, false},
	StateUnhealthyTasks:          {StateUnhealthyTasks, false, false},
}

// Basic is the coarse state shown as "state".
func (s State) Basic() State { return states[s].basic }

// Healthy reports whether the state counts as healthy for the health endpoint.
func (s State) Healthy() bool { return states[s].healthy }

// FirstRunOnly reports whether the state only appears before the first successful run.
func (s State) FirstRunOnly() bool { return states[s].firstRunOnly }
