package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/diagnostics"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/specjson"
)

var (
	_ datasource.DataSource              = (*supervisorDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*supervisorDataSource)(nil)
)

// NewSupervisorDataSource returns the kafka_supervisor data source.
func NewSupervisorDataSource() datasource.DataSource { return &supervisorDataSource{} }

type supervisorDataSource struct {
	client *client.Client
}

func (d *supervisorDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_supervisor"
}

func (d *supervisorDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one supervisor's spec (`GET /druid/indexer/v1/supervisor/{id}`) and state " +
			"(`GET /druid/indexer/v1/supervisor/{id}/status`).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Supervisor id (by default `dataSchema.dataSource`).",
			},
			"spec": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The spec as the server echoes it, as JSON, with credentials removed from " +
					"`ioConfig.consumerProperties`.",
			},
			"data_source": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`dataSchema.dataSource` of the spec.",
			},
			"state": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The status report's basic `state`, e.g. `RUNNING`, `SUSPENDED`, `UNHEALTHY_TASKS`.",
			},
			"detailed_state": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The status report's `detailedState`.",
			},
			"healthy": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "The status report's `healthy` flag.",
			},
			"suspended": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "The spec's `suspended` flag.",
			},
		},
	}
}

func (d *supervisorDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *supervisorDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m supervisorDataSourceModelV0
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.ID.ValueString()
	raw, err := d.client.GetSupervisor(ctx, id)
	if err != nil {
		resp.Diagnostics.Append(diagnostics.Engine("Read Supervisor Error",
			fmt.Sprintf("Could not read supervisor %q. Check the id (list them with the kafka_supervisors data source).", id), err))
		return
	}
	spec, err := redactedJSON(raw, nil)
	if err != nil {
		resp.Diagnostics.AddError("Read Supervisor Error", "The engine returned a spec that is not JSON: "+err.Error())
		return
	}
	rep, err := d.client.SupervisorStatus(ctx, id)
	if err != nil {
		resp.Diagnostics.Append(diagnostics.Engine("Read Supervisor Error",
			fmt.Sprintf("Could not read the status of supervisor %q.", id), err))
		return
	}
	norm, _ := specjson.Normalize(string(raw))
	m.Spec = types.StringValue(spec)
	m.DataSource = types.StringValue(specjson.DataSource(norm))
	m.State = types.StringValue(rep.Payload.State)
	m.DetailedState = types.StringValue(rep.Payload.DetailedState)
	m.Healthy = types.BoolValue(rep.Payload.Healthy)
	m.Suspended = types.BoolValue(specjson.Suspended(string(raw)))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

type supervisorDataSourceModelV0 struct {
	ID            types.String `tfsdk:"id"`
	Spec          types.String `tfsdk:"spec"`
	DataSource    types.String `tfsdk:"data_source"`
	State         types.String `tfsdk:"state"`
	DetailedState types.String `tfsdk:"detailed_state"`
	Healthy       types.Bool   `tfsdk:"healthy"`
	Suspended     types.Bool   `tfsdk:"suspended"`
}
