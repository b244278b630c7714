package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/diagnostics"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/specjson"
)

var (
	_ resource.Resource                = (*supervisorStateResource)(nil)
	_ resource.ResourceWithConfigure   = (*supervisorStateResource)(nil)
	_ resource.ResourceWithImportState = (*supervisorStateResource)(nil)
)

// Desired states of kafka_supervisor_state.
const (
	stateRunning   = "RUNNING"
	stateSuspended = "SUSPENDED"
)

const defaultStateTimeout = 5 * time.Minute

// NewSupervisorStateResource returns the kafka_supervisor_state resource with
// DefaultOptions.
func NewSupervisorStateResource() resource.Resource {
	return newSupervisorStateResource(DefaultOptions())
}

func newSupervisorStateResource(opts Options) resource.Resource {
	return &supervisorStateResource{pollInterval: opts.StatePollInterval}
}

type supervisorStateResource struct {
	client *client.Client
	// pollInterval is Options.StatePollInterval.
	pollInterval time.Duration
}

func (r *supervisorStateResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_supervisor_state"
}

func (r *supervisorStateResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Whether a supervisor runs or is suspended, like `aws_ec2_instance_state` for instances. " +
			"Suspends or resumes through `POST /druid/indexer/v1/supervisor/{id}/suspend|resume` only when needed, " +
			"then waits until the status report shows the new state. A suspend or resume made outside Terraform " +
			"shows as drift. Destroying the resource leaves the supervisor as it is. To create a supervisor " +
			"suspended without it ever starting a task, set `create_suspended = true` on its `kafka_supervisor`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Same as `supervisor_id`.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"supervisor_id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id of the supervisor (Druid's supervisor id, by default `dataSchema.dataSource`).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"state": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Desired state: `RUNNING` or `SUSPENDED`. Read from the spec's `suspended` flag " +
					"(`true` ⇒ `SUSPENDED`).",
				Validators: []validator.String{stringvalidator.OneOf(stateRunning, stateSuspended)},
			},
			"detailed_state": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The status report's `detailedState`, e.g. `RUNNING`, `SUSPENDED`, " +
					"`CONNECTING_TO_STREAM`, `UNHEALTHY_TASKS`.",
			},
			"healthy": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "The status report's `healthy` flag.",
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true}),
		},
	}
}

func (r *supervisorStateResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (r *supervisorStateResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan supervisorStateModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultStateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.apply(ctx, &plan, timeout, "Create Supervisor State Error", resp.Diagnostics.AddError) {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *supervisorStateResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan supervisorStateModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultStateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.apply(ctx, &plan, timeout, "Update Supervisor State Error", resp.Diagnostics.AddError) {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// apply suspends or resumes the supervisor when its live flag differs from
// the desired state, then polls the status report until it agrees, and fills
// the computed attributes of m.
func (r *supervisorStateResource) apply(ctx context.Context, m *supervisorStateModelV0, timeout time.Duration, summary string, addError func(string, string)) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := m.SupervisorID.ValueString()
	want := m.State.ValueString()
	spec, err := r.client.GetSupervisor(ctx, id)
	if err != nil {
		d := diagnostics.Engine(summary, fmt.Sprintf("Could not read supervisor %q. Check that it exists "+
			"(create it with kafka_supervisor and reference its id) and apply again.", id), err)
		addError(d.Summary(), d.Detail())
		return false
	}
	suspended := specjson.Suspended(string(spec))
	switch {
	case want == stateSuspended && !suspended:
		_, err = r.client.Suspend(ctx, id)
	case want == stateRunning && suspended:
		_, err = r.client.Resume(ctx, id)
	}
	// "[id] is already suspended/running" means a concurrent change got
	// there first: that is the desired outcome.
	if err != nil && !errors.Is(err, client.ErrBadRequest) {
		d := diagnostics.Engine(summary, fmt.Sprintf("Could not change supervisor %q to %s. Check the endpoint "+
			"and credentials, then apply again.", id, want), err)
		addError(d.Summary(), d.Detail())
		return false
	}
	for {
		rep, err := r.client.SupervisorStatus(ctx, id)
		if err == nil && reached(want, rep.Payload.State) {
			m.ID = types.StringValue(id)
			m.DetailedState = types.StringValue(rep.Payload.DetailedState)
			m.Healthy = types.BoolValue(rep.Payload.Healthy)
			return true
		}
		if err != nil && !errors.Is(err, client.ErrUnavailable) {
			d := diagnostics.Engine(summary, fmt.Sprintf("Could not read the status of supervisor %q.", id), err)
			addError(d.Summary(), d.Detail())
			return false
		}
		state := ""
		if rep != nil {
			state = rep.Payload.State
		}
		tflog.Debug(ctx, "waiting for supervisor state", map[string]any{"id": id, "want": want, "state": state})
		select {
		case <-ctx.Done():
			addError(summary, fmt.Sprintf("Supervisor %q did not reach %s within %s (last state %q). "+
				"Check its status report (GET /druid/indexer/v1/supervisor/%s/status) and recent errors, "+
				"or raise the timeouts block.", id, want, timeout, state, id))
			return false
		case <-time.After(r.pollInterval):
		}
	}
}

// reached reports whether the status report's basic state satisfies the
// desired state: SUSPENDED exactly; RUNNING as any state the supervisor
// reaches after a resume (PENDING, RUNNING, IDLE, UNHEALTHY_* ...), i.e.
// anything but SUSPENDED or STOPPING.
func reached(want, state string) bool {
	if want == stateSuspended {
		return state == stateSuspended
	}
	return state != "" && state != stateSuspended && state != "STOPPING"
}

func (r *supervisorStateResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state supervisorStateModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.SupervisorID.ValueString()
	if id == "" {
		id = state.ID.ValueString()
	}
	spec, err := r.client.GetSupervisor(ctx, id)
	if errors.Is(err, client.ErrNotFound) {
		tflog.Warn(ctx, "supervisor no longer exists; removing its state from Terraform state", map[string]any{"id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(diagnostics.Engine("Read Supervisor State Error",
			fmt.Sprintf("Could not read supervisor %q. Check the endpoint and credentials, then refresh again.", id), err))
		return
	}
	state.ID = types.StringValue(id)
	state.SupervisorID = types.StringValue(id)
	state.State = types.StringValue(stateRunning)
	if specjson.Suspended(string(spec)) {
		state.State = types.StringValue(stateSuspended)
	}
	rep, err := r.client.SupervisorStatus(ctx, id)
	if err != nil {
		if errors.Is(err, client.ErrNotFound) {
			resp.State.RemoveResource(ctx)
			return
		}
		resp.Diagnostics.Append(diagnostics.Engine("Read Supervisor State Error",
			fmt.Sprintf("Could not read the status of supervisor %q. Refresh again.", id), err))
		return
	}
	state.DetailedState = types.StringValue(rep.Payload.DetailedState)
	state.Healthy = types.BoolValue(rep.Payload.Healthy)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Delete stops managing the state and leaves the supervisor as it is.
func (r *supervisorStateResource) Delete(ctx context.Context, req resource.DeleteRequest, _ *resource.DeleteResponse) {
	tflog.Info(ctx, "kafka_supervisor_state removed from Terraform; the supervisor keeps its current state")
}

// ImportState takes the supervisor id.
func (r *supervisorStateResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if req.ID == "" {
		resp.Diagnostics.AddError("Import Supervisor State Error",
			"Expected the supervisor id, e.g. terraform import kafka_supervisor_state.example wikipedia")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("supervisor_id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}

type supervisorStateModelV0 struct {
	ID            types.String   `tfsdk:"id"`
	SupervisorID  types.String   `tfsdk:"supervisor_id"`
	State         types.String   `tfsdk:"state"`
	DetailedState types.String   `tfsdk:"detailed_state"`
	Healthy       types.Bool     `tfsdk:"healthy"`
	Timeouts      timeouts.Value `tfsdk:"timeouts"`
}
