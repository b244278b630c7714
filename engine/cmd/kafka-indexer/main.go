// Command kafka-indexer is the engine daemon: a Druid-compatible Overlord for Kafka ingestion.
//
//	kafka-indexer serve         run the daemon (supervisor API on 127.0.0.1:8090)
//	kafka-indexer quickstart    run the daemon with an embedded broker and sample data
//	kafka-indexer dump-segment  print a segment's rows, metadata or bitmaps
//	kafka-indexer bench         measure ingestion on this machine (bench.go)
//	kafka-indexer version       print the version
//	kafka-indexer supervisor|task|datasource …  the operator CLI over the REST API (cli_*.go)
//	kafka-indexer completion bash|zsh|fish      shell completion
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "quickstart":
		err = quickstart(ctx, args[1:], stdout, stderr)
	case "dump-segment":
		err = dumpSegment(args[1:], stdout, stderr)
	case "bench":
		err = benchCmd(ctx, args[1:], stdout, stderr)
	case benchBrokerCommand: // hidden: bench's broker in a child process
		err = benchBroker(ctx, args[1:], stdout)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "kafka-indexer %s\n", version)
	case "supervisor", "task", "datasource", "completion", completeCommand:
		err = runCLI(ctx, args[0], args[1:], processCLIEnv(), stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
	default:
		fmt.Fprintf(stderr, "kafka-indexer: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	var ue *cliUsageError
	var ce *cliCommandError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		return 0 // -h printed the help it asked for
	case err == errUsage:
		return 2
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "kafka-indexer %s\n", ue.msg)
		return 2
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "kafka-indexer %s\n", ce.Error())
		return 1
	default:
		fmt.Fprintf(stderr, "kafka-indexer %s: %s\n", args[0], cliMessage(err))
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `kafka-indexer: Druid-compatible Kafka indexing service

Usage:
  kafka-indexer serve [flags]         run the daemon (see 'kafka-indexer serve -h')
  kafka-indexer quickstart [flags]    run the daemon, an embedded Kafka broker and sample data (see -h)
  kafka-indexer dump-segment [flags]  print a segment (see 'kafka-indexer dump-segment -h')
  kafka-indexer bench [flags]         measure ingestion against a bare consumer (see 'kafka-indexer bench -h')
  kafka-indexer version               print the version
`)
	cliUsage(w)
}
