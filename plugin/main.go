// Command gpx_heimsight is the Heimsight Grafana datasource plugin's backend. Grafana starts it
// and talks to it over gRPC; everything it does lives in plugin/datasource.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	hsds "github.com/heimsight/heimsight/plugin/datasource"
)

func main() {
	if err := datasource.Manage(hsds.PluginID, hsds.NewInstance, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("plugin exited", "error", err.Error())
		os.Exit(1)
	}
}
