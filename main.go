// Command terraform-provider-kafka is the Terraform provider for
// kafka-indexer and Apache Druid Kafka supervisors.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/kafka-indexer/terraform-provider-kafka/provider"
)

// version is set at release time with -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve (prints TF_REATTACH_PROVIDERS)")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/kafka-indexer/kafka",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
