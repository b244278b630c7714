package provider

import (
	"context"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
	"github.com/kafka-indexer/terraform-provider-kafka/provider/internal/diagnostics"
)

var (
	_ datasource.DataSource              = (*supervisorsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*supervisorsDataSource)(nil)
)

// NewSupervisorsDataSource returns the kafka_supervisors data source.
func NewSupervisorsDataSource() datasource.DataSource { return &supervisorsDataSource{} }

type supervisorsDataSource struct {
	client *client.Client
}

var supervisorItemAttrTypes = map[string]attr.Type{
	"id":             types.StringType,
	"state":          types.StringType,
	"detailed_state": types.StringType,
	"healthy":        types.BoolType,
	"suspended":      types.BoolType,
}

func (d *supervisorsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_supervisors"
}

func (d *supervisorsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists every supervisor with its state (`GET /druid/indexer/v1/supervisor?state=true`).",
		Attributes: map[string]schema.Attribute{
			"ids": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Supervisor ids, sorted.",
			},
			"supervisors": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "One `SupervisorStatus` per supervisor, sorted by id.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id":             schema.StringAttribute{Computed: true, MarkdownDescription: "Supervisor `id`."},
						"state":          schema.StringAttribute{Computed: true, MarkdownDescription: "Basic `state`, e.g. `RUNNING`."},
						"detailed_state": schema.StringAttribute{Computed: true, MarkdownDescription: "`detailedState`."},
						"healthy":        schema.BoolAttribute{Computed: true, MarkdownDescription: "`healthy` flag."},
						"suspended":      schema.BoolAttribute{Computed: true, MarkdownDescription: "`suspended` flag."},
					},
				},
			},
		},
	}
}

func (d *supervisorsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *supervisorsDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	list, err := d.client.ListSupervisorStates(ctx)
	if err != nil {
		resp.Diagnostics.Append(diagnostics.Engine("List Supervisors Error",
			"Could not list supervisors. Check the endpoint and credentials.", err))
		return
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	ids := make([]string, 0, len(list))
	items := make([]attr.Value, 0, len(list))
	for _, s := range list {
		ids = append(ids, s.ID)
		obj, diags := types.ObjectValue(supervisorItemAttrTypes, map[string]attr.Value{
			"id": types.StringValue(s.ID), "state": types.StringValue(s.State),
			"detailed_state": types.StringValue(s.DetailedState), "healthy": types.BoolValue(s.Healthy),
			"suspended": types.BoolValue(s.Suspended),
		})
		resp.Diagnostics.Append(diags...)
		items = append(items, obj)
	}
	var (
		m     supervisorsDataSourceModelV0
		diags diag.Diagnostics
	)
	m.IDs, diags = types.ListValueFrom(ctx, types.StringType, ids)
	resp.Diagnostics.Append(diags...)
	m.Supervisors, diags = types.ListValue(types.ObjectType{AttrTypes: supervisorItemAttrTypes}, items)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

type supervisorsDataSourceModelV0 struct {
	IDs         types.List `tfsdk:"ids"`
	Supervisors types.List `tfsdk:"supervisors"`
}
