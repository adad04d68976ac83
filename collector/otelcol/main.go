// Command ccotel-otelcol is the test collector: the upstream OpenTelemetry Collector with exactly the
// components ccotel's alloy/ pipeline uses (see components.go), as the OpenTelemetry Collector Builder
// would generate it. Its config comes from ccotel.collector.otelcol.translate.
package main

import (
	"log"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/otelcol"
)

func main() {
	info := component.BuildInfo{
		Command:     "ccotel-otelcol",
		Description: "ccotel test collector (upstream OpenTelemetry Collector components used by alloy/)",
		Version:     "0.158.0-ccotel",
	}
	settings := otelcol.CollectorSettings{
		BuildInfo: info,
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
				},
			},
		},
	}
	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		log.Fatal(err)
	}
}
