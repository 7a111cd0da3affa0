//go:build duckdb_arrow

package embedded

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/heimsight/heimsight/pkg/model"
)

// logGen produces realistic log batches: a few services and pods, ~10 record attributes with
// a mix of low and high cardinality, ~100-character bodies with variable parts.
type logGen struct {
	rng       *rand.Rand
	resources []*model.Resource
	scope     *model.Scope
	ts        int64
	seq       int64
}

func newLogGen(seed uint64, start time.Time) *logGen {
	g := &logGen{rng: rand.New(rand.NewPCG(seed, 7)), ts: start.UnixNano(),
		scope: &model.Scope{Name: "github.com/acme/app/log", Version: "1.4.0"}}
	for i := 0; i < 8; i++ {
		svc := []string{"checkout", "payments", "cart", "frontend"}[i%4]
		g.resources = append(g.resources, &model.Resource{Attributes: model.Attributes{
			model.StringKV("service.name", svc),
			model.StringKV("service.version", "2.3."+strconv.Itoa(i%3)),
			model.StringKV("host.name", "node-"+strconv.Itoa(i)),
			model.StringKV("k8s.namespace.name", "prod"),
			model.StringKV("k8s.pod.name", fmt.Sprintf("%s-7d9f8b-%05d", svc, i*7919%100000)),
		}})
	}
	return g
}

var (
	routes  = []string{"/api/v1/orders", "/api/v1/cart/items", "/api/v1/payments/authorize", "/healthz", "/api/v1/users/me"}
	methods = []string{"GET", "POST", "PUT", "DELETE"}
	levels  = []struct {
		text string
		num  model.SeverityNumber
	}{{"INFO", 9}, {"INFO", 9}, {"INFO", 9}, {"DEBUG", 5}, {"WARN", 13}, {"ERROR", 17}}
	messages = []string{
		"request completed method=%s route=%s status=%d duration=%dms user=%d",
		"cache miss for key order:%d:%d, fetching from primary database (attempt %d)",
		"payment authorization declined by upstream provider code=%d reason=insufficient_funds",
		"slow query detected table=orders rows=%d took=%dms plan=index_scan(orders_user_id_idx)",
	}
)

func (g *logGen) batch(n int) []model.LogRecord {
	logs := make([]model.LogRecord, n)
	for i := range logs {
		g.seq++
		g.ts += int64(g.rng.IntN(200_000)) // ~10k logs/s of event time
		lv := levels[g.rng.IntN(len(levels))]
		route, method := routes[g.rng.IntN(len(routes))], methods[g.rng.IntN(len(methods))]
		status := []int64{200, 200, 200, 201, 404, 500}[g.rng.IntN(6)]
		var body string
		switch m := g.rng.IntN(len(messages)); m {
		case 0:
			body = fmt.Sprintf(messages[0], method, route, status, g.rng.IntN(900), g.rng.IntN(100000))
		case 1:
			body = fmt.Sprintf(messages[1], g.rng.IntN(1e6), g.rng.IntN(100), g.rng.IntN(3))
		case 2:
			body = fmt.Sprintf(messages[2], 50+g.rng.IntN(10))
		default:
			body = fmt.Sprintf(messages[3], g.rng.IntN(1e5), g.rng.IntN(5000))
		}
		var tid model.TraceID
		var sid model.SpanID
		for j := 0; j < 16; j += 8 {
			v := g.rng.Uint64()
			for k := 0; k < 8; k++ {
				tid[j+k] = byte(v >> (8 * k))
			}
		}
		v := g.rng.Uint64()
		for k := 0; k < 8; k++ {
			sid[k] = byte(v >> (8 * k))
		}
		logs[i] = model.LogRecord{
			Timestamp:         g.ts,
			ObservedTimestamp: g.ts + 1_000_000,
			SeverityNumber:    lv.num,
			SeverityText:      lv.text,
			Body:              model.StringValue(body),
			Attributes: model.Attributes{
				model.StringKV("http.method", method),
				model.StringKV("http.route", route),
				model.KV("http.status_code", model.IntValue(status)),
				model.KV("duration_ms", model.DoubleValue(float64(g.rng.IntN(90000))/100)),
				model.StringKV("user.id", "u-"+strconv.Itoa(g.rng.IntN(50000))),
				model.StringKV("request.id", fmt.Sprintf("%016x", g.rng.Uint64())),
				model.StringKV("region", []string{"eu-west-1", "us-east-1"}[g.rng.IntN(2)]),
				model.StringKV("logger.name", "com.acme."+[]string{"http", "db", "billing"}[g.rng.IntN(3)]),
				model.KV("thread.id", model.IntValue(int64(g.rng.IntN(64)))),
				model.KV("retry", model.BoolValue(g.rng.IntN(10) == 0)),
			},
			TraceID:  tid,
			SpanID:   sid,
			Flags:    1,
			Resource: g.resources[g.rng.IntN(len(g.resources))],
			Scope:    g.scope,
		}
	}
	return logs
}

// spans returns n spans in traces of ~10 spans, ~8 attributes each, a fifth with an event.
func (g *logGen) spans(n int) []model.Span {
	spans := make([]model.Span, n)
	var tid model.TraceID
	for i := range spans {
		if i%10 == 0 {
			v, w := g.rng.Uint64(), g.rng.Uint64()
			for k := 0; k < 8; k++ {
				tid[k], tid[8+k] = byte(v>>(8*k)), byte(w>>(8*k))
			}
		}
		g.ts += int64(g.rng.IntN(200_000))
		var sid, parent model.SpanID
		v := g.rng.Uint64()
		for k := 0; k < 8; k++ {
			sid[k] = byte(v >> (8 * k))
		}
		if i%10 != 0 {
			parent = spans[i-1].SpanID
		}
		route, method := routes[g.rng.IntN(len(routes))], methods[g.rng.IntN(len(methods))]
		sp := model.Span{
			TraceID: tid, SpanID: sid, ParentSpanID: parent, Flags: 1,
			Name: method + " " + route, Kind: model.SpanKind(1 + g.rng.IntN(3)),
			StartTimestamp: g.ts, EndTimestamp: g.ts + int64(g.rng.IntN(50_000_000)),
			Attributes: model.Attributes{
				model.StringKV("http.method", method),
				model.StringKV("http.route", route),
				model.KV("http.status_code", model.IntValue([]int64{200, 200, 201, 404, 500}[g.rng.IntN(5)])),
				model.StringKV("net.peer.name", "10.0.0."+strconv.Itoa(g.rng.IntN(255))),
				model.StringKV("user.id", "u-"+strconv.Itoa(g.rng.IntN(50000))),
				model.StringKV("db.system", "postgresql"),
				model.KV("retry", model.BoolValue(g.rng.IntN(10) == 0)),
				model.StringKV("region", []string{"eu-west-1", "us-east-1"}[g.rng.IntN(2)]),
			},
			StatusCode: model.StatusCode(g.rng.IntN(3)),
			Resource:   g.resources[g.rng.IntN(len(g.resources))],
			Scope:      g.scope,
		}
		if g.rng.IntN(5) == 0 {
			sp.Events = []model.SpanEvent{{Timestamp: g.ts + 1000, Name: "exception",
				Attributes: model.Attributes{model.StringKV("exception.type", "TimeoutError")}}}
		}
		spans[i] = sp
	}
	return spans
}

// points returns n metric points: gauges, sums and histograms with ~5 attributes.
func (g *logGen) points(n int) []model.MetricPoint {
	ps := make([]model.MetricPoint, n)
	for i := range ps {
		g.ts += int64(g.rng.IntN(100_000))
		p := model.MetricPoint{
			Name: []string{"http.server.duration", "process.cpu.time", "queue.size", "db.client.connections"}[i%4],
			Unit: "ms", StartTimestamp: g.ts - int64(time.Minute), Timestamp: g.ts,
			Attributes: model.Attributes{
				model.StringKV("http.method", methods[g.rng.IntN(len(methods))]),
				model.StringKV("http.route", routes[g.rng.IntN(len(routes))]),
				model.KV("http.status_code", model.IntValue(200)),
				model.StringKV("region", "eu-west-1"),
				model.StringKV("instance", "i-"+strconv.Itoa(g.rng.IntN(100))),
			},
			Resource: g.resources[g.rng.IntN(len(g.resources))],
			Scope:    g.scope,
		}
		switch i % 4 {
		case 0:
			p.Type, p.Temporality = model.MetricHistogram, model.TemporalityCumulative
			p.Count, p.Sum, p.HasSum = uint64(g.rng.IntN(1000)), float64(g.rng.IntN(100000)), true
			p.ExplicitBounds = []float64{5, 10, 25, 50, 100, 250, 500, 1000}
			p.BucketCounts = make([]uint64, 9)
			for k := range p.BucketCounts {
				p.BucketCounts[k] = uint64(g.rng.IntN(100))
			}
		case 1:
			p.Type, p.Temporality, p.IsMonotonic, p.Value = model.MetricSum, model.TemporalityCumulative, true, float64(g.rng.IntN(1e6))
		default:
			p.Type, p.Value = model.MetricGauge, float64(g.rng.IntN(1000))/10
		}
		ps[i] = p
	}
	return ps
}
