package client

import (
	"context"
	"net/http"
)

// RetentionPolicy is one retention policy: how many days the raw data of a data type ("logs",
// "metrics", "traces"), or one of its aggregation tiers, is kept. Days are 1 to 3650.
type RetentionPolicy struct {
	DataType string `json:"data_type"`
	// Tier names an aggregation tier ("metrics_1hour"); empty for the raw data.
	Tier    string `json:"tier,omitempty"`
	TTLDays int    `json:"ttl_days"`
}

// RetentionConfig is the body of GET and PUT /api/v1/config/retention. Logs, Metrics and Traces
// are required in a PUT; Tiers, keyed by tier name, may list any subset of the tiers (the
// others keep their retention). GET lists every tier.
type RetentionConfig struct {
	Logs    *RetentionPolicy           `json:"logs"`
	Metrics *RetentionPolicy           `json:"metrics"`
	Traces  *RetentionPolicy           `json:"traces"`
	Tiers   map[string]RetentionPolicy `json:"tiers,omitempty"`
}

// DataAge is the data held for one data type or tier.
type DataAge struct {
	DataType string `json:"data_type"`
	Tier     string `json:"tier,omitempty"`
	TTLDays  int    `json:"ttl_days"`
	// OldestTimestamp and NewestTimestamp are RFC 3339 (UTC, nanoseconds); null when empty.
	OldestTimestamp *string `json:"oldest_timestamp"`
	NewestTimestamp *string `json:"newest_timestamp"`
	// OldestAgeSeconds is the age of the oldest row (0 when empty).
	OldestAgeSeconds float64 `json:"oldest_age_seconds"`
	RowCount         int64   `json:"row_count"`
	// Bytes is the stored (compressed) size; rows not yet written to disk are not counted.
	Bytes int64 `json:"bytes"`
	// ExceedsTTL is set when rows older than ttl_days (plus the store's deletion granularity)
	// are still stored.
	ExceedsTTL bool `json:"exceeds_ttl"`
}

// DataAgeResponse is the body of GET /api/v1/config/retention/metrics.
type DataAgeResponse struct {
	CheckedAt string    `json:"checked_at"` // RFC 3339
	Data      []DataAge `json:"data"`
}

// Retention calls GET /api/v1/config/retention.
func (c *Client) Retention(ctx context.Context) (*RetentionConfig, error) {
	var out RetentionConfig
	if err := c.do(ctx, http.MethodGet, "/api/v1/config/retention", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetRetention calls PUT /api/v1/config/retention and returns the configuration in force.
func (c *Client) SetRetention(ctx context.Context, cfg RetentionConfig) (*RetentionConfig, error) {
	var out RetentionConfig
	if err := c.do(ctx, http.MethodPut, "/api/v1/config/retention", cfg, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetRetentionPolicy calls PUT /api/v1/config/retention/policy (one data type or tier) and
// returns the configuration in force.
func (c *Client) SetRetentionPolicy(ctx context.Context, p RetentionPolicy) (*RetentionConfig, error) {
	var out RetentionConfig
	if err := c.do(ctx, http.MethodPut, "/api/v1/config/retention/policy", p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DataAge calls GET /api/v1/config/retention/metrics.
func (c *Client) DataAge(ctx context.Context) (*DataAgeResponse, error) {
	var out DataAgeResponse
	if err := c.do(ctx, http.MethodGet, "/api/v1/config/retention/metrics", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
