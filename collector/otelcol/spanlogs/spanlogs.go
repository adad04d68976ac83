// Package spanlogs is the test collector's stand-in for Alloy's otelcol.connector.spanlogs, which has no
// upstream equivalent: written here from Alloy's documented behaviour (one log line per span, root span or
// process, body "span=<name> dur=<n>ns <span attributes> svc=<service> <process attributes> tid=<trace id>",
// attribute <logs_instance_tag>=span|root|process plus the `labels` keys). Not Alloy's code.
package spanlogs

import (
	"context"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Overrides are the log keys (Alloy's `overrides` block).
type Overrides struct {
	LogsInstanceTag string `mapstructure:"logs_instance_tag"`
	ServiceKey      string `mapstructure:"service_key"`
	SpanNameKey     string `mapstructure:"span_name_key"`
	StatusKey       string `mapstructure:"status_key"`
	DurationKey     string `mapstructure:"duration_key"`
	TraceIDKey      string `mapstructure:"trace_id_key"`
}

// Config mirrors Alloy's arguments.
type Config struct {
	Spans             bool      `mapstructure:"spans"`
	Roots             bool      `mapstructure:"roots"`
	Processes         bool      `mapstructure:"processes"`
	SpanAttributes    []string  `mapstructure:"span_attributes"`
	ProcessAttributes []string  `mapstructure:"process_attributes"`
	Labels            []string  `mapstructure:"labels"`
	Overrides         Overrides `mapstructure:"overrides"`
}

// NewFactory registers the connector as type "spanlogs" (traces -> logs).
func NewFactory() connector.Factory {
	return connector.NewFactory(component.MustNewType("spanlogs"), func() component.Config {
		return &Config{Overrides: Overrides{"traces", "svc", "span", "status", "dur", "tid"}}
	}, connector.WithTracesToLogs(create, component.StabilityLevelDevelopment))
}

type spanLogs struct {
	component.StartFunc
	component.ShutdownFunc
	cfg  *Config
	next consumer.Logs
}

func create(_ context.Context, _ connector.Settings, cfg component.Config, next consumer.Logs) (connector.Traces, error) {
	return &spanLogs{cfg: cfg.(*Config), next: next}, nil
}

func (s *spanLogs) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

type pair struct {
	key   string
	value pcommon.Value
}

func text(value pcommon.Value) string {
	out := value.AsString()
	if strings.ContainsAny(out, " =\"\n") {
		return strconv.Quote(out)
	}
	return out
}

func (s *spanLogs) emit(records plog.LogRecordSlice, kind string, body []pair, labels map[string]pcommon.Value, at pcommon.Timestamp) {
	parts := make([]string, 0, len(body))
	for _, p := range body {
		parts = append(parts, p.key+"="+text(p.value))
	}
	record := records.AppendEmpty()
	record.SetTimestamp(at)
	record.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	record.Body().SetStr(strings.Join(parts, " "))
	record.Attributes().PutStr(s.cfg.Overrides.LogsInstanceTag, kind)
	for _, key := range s.cfg.Labels {
		if value, ok := labels[key]; ok {
			value.CopyTo(record.Attributes().PutEmpty(key))
		}
	}
}

func picked(attributes pcommon.Map, keys []string, labels map[string]pcommon.Value) []pair {
	var out []pair
	for _, key := range keys {
		if value, ok := attributes.Get(key); ok {
			out = append(out, pair{key, value})
			labels[key] = value
		}
	}
	return out
}

func (s *spanLogs) ConsumeTraces(ctx context.Context, traces ptrace.Traces) error {
	logs := plog.NewLogs()
	records := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	o := s.cfg.Overrides
	for i := 0; i < traces.ResourceSpans().Len(); i++ {
		resourceSpans := traces.ResourceSpans().At(i)
		resource := resourceSpans.Resource().Attributes()
		process := []pair{}
		processLabels := map[string]pcommon.Value{}
		if service, ok := resource.Get("service.name"); ok {
			process = append(process, pair{o.ServiceKey, service})
		}
		process = append(process, picked(resource, s.cfg.ProcessAttributes, processLabels)...)
		processLogged := false
		for j := 0; j < resourceSpans.ScopeSpans().Len(); j++ {
			spans := resourceSpans.ScopeSpans().At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				labels := map[string]pcommon.Value{}
				for key, value := range processLabels {
					labels[key] = value
				}
				tid := pcommon.NewValueStr(span.TraceID().String())
				body := []pair{
					{o.SpanNameKey, pcommon.NewValueStr(span.Name())},
					{o.DurationKey, pcommon.NewValueStr(strconv.FormatInt(int64(span.EndTimestamp()-span.StartTimestamp()), 10) + "ns")},
				}
				if span.Status().Code() != ptrace.StatusCodeUnset {
					body = append(body, pair{o.StatusKey, pcommon.NewValueStr(span.Status().Code().String())})
				}
				body = append(body, picked(span.Attributes(), s.cfg.SpanAttributes, labels)...)
				body = append(body, process...)
				body = append(body, pair{o.TraceIDKey, tid})
				if s.cfg.Spans {
					s.emit(records, "span", body, labels, span.EndTimestamp())
				}
				if s.cfg.Roots && span.ParentSpanID().IsEmpty() {
					s.emit(records, "root", body, labels, span.EndTimestamp())
				}
				if s.cfg.Processes && !processLogged {
					processLogged = true
					s.emit(records, "process", append(append([]pair{}, process...), pair{o.TraceIDKey, tid}), processLabels, span.EndTimestamp())
				}
			}
		}
	}
	if records.Len() == 0 {
		return nil
	}
	return s.next.ConsumeLogs(ctx, logs)
}
