package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/diagnostics"
)

var (
	_ datasource.DataSource              = (*supervisorStatusDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*supervisorStatusDataSource)(nil)
)

// NewSupervisorStatusDataSource returns the kafka_supervisor_status data source.
func NewSupervisorStatusDataSource() datasource.DataSource { return &supervisorStatusDataSource{} }

type supervisorStatusDataSource struct {
	client *client.Client
}

func (d *supervisorStatusDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_supervisor_status"
}

func (d *supervisorStatusDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads a supervisor's status report (`GET /druid/indexer/v1/supervisor/{id}/status`).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Supervisor id.",
			},
			"state": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`payload.state`: the basic state, e.g. `RUNNING`, `SUSPENDED`, `UNHEALTHY_TASKS`.",
			},
			"detailed_state": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`payload.detailedState`, e.g. `CONNECTING_TO_STREAM`.",
			},
			"healthy": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "`payload.healthy`.",
			},
			"suspended": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "`payload.suspended`.",
			},
			"aggregate_lag": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "`payload.aggregateLag`: summed lag over partitions; null until offsets are first fetched.",
			},
			"active_tasks": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Number of `payload.activeTasks` (reading tasks).",
			},
			"publishing_tasks": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Number of `payload.publishingTasks`.",
			},
		},
	}
}

func (d *supervisorStatusDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *supervisorStatusDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m supervisorStatusModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.ID.ValueString()
	rep, err := d.client.SupervisorStatus(ctx, id)
	if err != nil {
		resp.Diagnostics.Append(diagnostics.Engine("Read Supervisor Status Error",
			fmt.Sprintf("Could not read the status of supervisor %q. Check the id.", id), err))
		return
	}
	p := rep.Payload
	m.State = types.StringValue(p.State)
	m.DetailedState = types.StringValue(p.DetailedState)
	m.Healthy = types.BoolValue(p.Healthy)
	m.Suspended = types.BoolValue(p.Suspended)
	m.AggregateLag = types.Int64PointerValue(p.AggregateLag)
	m.ActiveTasks = types.Int64Value(int64(len(p.ActiveTasks)))
	m.PublishingTasks = types.Int64Value(int64(len(p.PublishingTasks)))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

type supervisorStatusModelV0 struct {
	ID              types.String `tfsdk:"id"`
	State           types.String `tfsdk:"state"`
	DetailedState   types.String `tfsdk:"detailed_state"`
	Healthy         types.Bool   `tfsdk:"healthy"`
	Suspended       types.Bool   `tfsdk:"suspended"`
	AggregateLag    types.Int64  `tfsdk:"aggregate_lag"`
	ActiveTasks     types.Int64  `tfsdk:"active_tasks"`
	PublishingTasks types.Int64  `tfsdk:"publishing_tasks"`
}
