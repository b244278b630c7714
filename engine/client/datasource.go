package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/druidapi"
)

// metadataBase is the base of the Coordinator's MetadataResource, which a Router (and
// kafka-indexer) serve beside the Overlord's routes.
const metadataBase = "/druid/coordinator/v1/metadata/datasources"

// DataSegment is a published segment's descriptor (Druid's DataSegment).
type DataSegment = druidapi.DataSegment

// ListDataSources returns the datasources with used segments
// (GET /druid/coordinator/v1/metadata/datasources).
func (c *Client) ListDataSources(ctx context.Context) ([]string, error) {
	var ds []string
	err := c.Do(ctx, http.MethodGet, metadataBase, nil, &ds)
	return ds, err
}

// DataSourceSegments returns a datasource's used segments
// (GET /druid/coordinator/v1/metadata/datasources/{ds}/segments?full). Druid answers a
// datasource without used segments with 404 and an empty body: an *APIError matching
// ErrNotFound.
func (c *Client) DataSourceSegments(ctx context.Context, dataSource string) ([]DataSegment, error) {
	var segs []DataSegment
	err := c.Do(ctx, http.MethodGet, metadataBase+"/"+url.PathEscape(dataSource)+"/segments?full", nil, &segs)
	return segs, err
}
