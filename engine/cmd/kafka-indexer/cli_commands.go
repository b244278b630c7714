package main

// The operator CLI: `kafka-indexer supervisor|task|datasource …` over engine/client. It speaks
// only Druid's public REST API (/druid/indexer/v1/..., /druid/coordinator/v1/...), so it works
// against a real Druid Overlord or Router as well as against kafka-indexer.
//
// Every command, subcommand and flag is declared once in cliCommands; the flag sets, the help
// texts and the shell completion scripts are all generated from that table, so none of them can
// drift from what the commands accept.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
)

// cliFlag is one flag of a CLI command.
type cliFlag struct {
	name  string // long name, used as --name
	short string // one-letter alias, used as -s; may be empty
	kind  string // "string", "bool", "int" or "duration"
	arg   string // placeholder in help, e.g. "URL"
	env   string // environment variable the default comes from, may be empty
	def   string // default when neither the flag nor env is set
	usage string
	// values are the accepted values, offered by shell completion; empty means any.
	values []string
}

// cliCommand is one leaf command such as `supervisor status`.
type cliCommand struct {
	group, name string
	// args names the positional arguments in help ("ID", "ID OFFSETS"); nargs is how many
	// there must be.
	args  string
	nargs int
	// argKind says what shell completion offers for the first positional argument: "file" for
	// file names; "supervisor", "task" or "datasource" for the ids the server has (init derives
	// these from the group for an ID or DS argument); "" for nothing.
	argKind string
	summary string
	// detail is a longer explanation shown in help after the summary, may be empty.
	detail  string
	flags   []cliFlag
	example string
	// confirm is, for a dangerous command, the sentence that says what it does; the command
	// asks before running when stdin is a terminal and refuses without one unless --yes.
	confirm string
	run     func(ctx context.Context, inv *invocation) error
}

// connFlags are the flags of every command that talks to the server. The env names are those
// the Terraform provider reads, so one environment serves both.
var connFlags = []cliFlag{
	{name: "endpoint", kind: "string", arg: "URL", env: "KAFKA_INDEXER_ENDPOINT", def: "http://127.0.0.1:8090", usage: "base URL of the Overlord (kafka-indexer serve, or Druid's Overlord or Router)"},
	{name: "username", kind: "string", arg: "USER", env: "KAFKA_INDEXER_USERNAME", usage: "HTTP basic auth user (serve --auth-username, or Druid's basic security)"},
	{name: "password", kind: "string", arg: "PASSWORD", env: "KAFKA_INDEXER_PASSWORD", usage: "HTTP basic auth password"},
	{name: "output", short: "o", kind: "string", arg: "FORMAT", def: "table", usage: "output: table (aligned columns, for people) or json (the server's JSON, indented, for scripts)", values: []string{"table", "json"}},
}

var quietFlag = cliFlag{name: "quiet", short: "q", kind: "bool", usage: "print only the ids, one a line (for $(…) in scripts)"}

var yesFlag = cliFlag{name: "yes", short: "y", kind: "bool", usage: "do not ask for confirmation (required when stdin is not a terminal)"}

// cliGroups lists the command groups in help order, with their one-line descriptions.
var cliGroups = []struct{ name, summary string }{
	{"supervisor", "manage supervisors: list, inspect, submit, suspend, resume, reset, terminate, history"},
	{"task", "list and inspect indexing tasks"},
	{"datasource", "list datasources and their published segments"},
	{"completion", "print a shell completion script (bash, zsh or fish)"},
}

// cliCommands is the one table of the CLI. Order is help order.
var cliCommands = []*cliCommand{
	{group: "supervisor", name: "list", summary: "list supervisors with their state and health (GET /druid/indexer/v1/supervisor?state=true)",
		flags: []cliFlag{quietFlag}, example: "kafka-indexer supervisor list", run: supervisorList},
	{group: "supervisor", name: "get", args: "ID", nargs: 1, summary: "print a supervisor's spec as the server stores it, defaults filled in (GET /supervisor/{id})",
		example: "kafka-indexer supervisor get metrics-kafka", run: supervisorGet},
	{group: "supervisor", name: "status", args: "ID", nargs: 1, summary: "show a supervisor's state, health, tasks and per-partition lag (GET /supervisor/{id}/status)",
		detail: "With --watch the status is redrawn every --interval until Ctrl-C (in place on a terminal,\nas appended blocks otherwise).",
		flags: []cliFlag{
			{name: "watch", short: "w", kind: "bool", usage: "refresh the status every --interval until Ctrl-C"},
			{name: "interval", kind: "duration", arg: "DURATION", def: "2s", usage: "time between refreshes with --watch"},
		},
		example: "kafka-indexer supervisor status metrics-kafka --watch", run: supervisorStatus},
	{group: "supervisor", name: "submit", args: "FILE", nargs: 1, argKind: "file", summary: "create or update a supervisor from a JSON spec file, - for stdin (POST /supervisor)",
		detail: "--dry-run validates the spec without storing it (POST /supervisor?validateOnly=true) and says what\nsubmitting it would do to running tasks. Only kafka-indexer supports it: against Druid, which\nwould store the spec, the CLI refuses without sending it.",
		flags: []cliFlag{
			{name: "dry-run", kind: "bool", usage: "validate only; print the verdict and the impact on running tasks"},
		},
		example: "kafka-indexer supervisor submit examples/quickstart/supervisor.json --dry-run", run: supervisorSubmit},
	{group: "supervisor", name: "suspend", args: "ID", nargs: 1, summary: "suspend a supervisor: its tasks publish and stop, nothing is read until resume (POST /supervisor/{id}/suspend)",
		example: "kafka-indexer supervisor suspend metrics-kafka", run: supervisorSuspend},
	{group: "supervisor", name: "resume", args: "ID", nargs: 1, summary: "resume a suspended supervisor from its stored offsets (POST /supervisor/{id}/resume)",
		example: "kafka-indexer supervisor resume metrics-kafka", run: supervisorResume},
	{group: "supervisor", name: "reset", args: "ID", nargs: 1, summary: "forget a supervisor's stored offsets and kill its reading tasks (POST /supervisor/{id}/reset)",
		flags:   []cliFlag{yesFlag},
		confirm: "reset: the stored offsets of supervisor %s are deleted and its reading tasks killed; reading restarts from the earliest or latest offset (useEarliestOffset), so rows between the stored offsets and latest will be skipped or re-read.",
		example: "kafka-indexer supervisor reset metrics-kafka --yes", run: supervisorReset},
	{group: "supervisor", name: "reset-offsets", args: "ID OFFSETS", nargs: 2, argKind: "", summary: "set the stored offsets of some partitions (POST /supervisor/{id}/resetOffsets)",
		detail:  "OFFSETS is a file name or inline JSON: either a partition→offset map such as {\"0\":100,\"1\":250}\n(the stream is the supervisor's topic) or Druid's full DataSourceMetadata body\n{\"type\":\"kafka\",\"partitions\":{\"type\":\"end\",\"stream\":…,\"partitionOffsetMap\":{…}}}.\nOther partitions keep their offsets.",
		flags:   []cliFlag{yesFlag},
		confirm: "reset-offsets: supervisor %s kills its reading tasks and continues from the given offsets; rows between the old and the new offsets of those partitions will be skipped or re-read.",
		example: `kafka-indexer supervisor reset-offsets metrics-kafka '{"0":0,"1":0}' --yes`, run: supervisorResetOffsets},
	{group: "supervisor", name: "terminate", args: "ID", nargs: 1, summary: "stop a supervisor and remove it; its history stays (POST /supervisor/{id}/terminate)",
		flags:   []cliFlag{yesFlag},
		confirm: "terminate: supervisor %s is removed and its tasks publish what they have and stop; nothing more is ingested until a spec is submitted again.",
		example: "kafka-indexer supervisor terminate metrics-kafka --yes", run: supervisorTerminate},
	{group: "supervisor", name: "history", args: "ID", nargs: 1, summary: "list a supervisor's stored spec versions, newest first (GET /supervisor/{id}/history)",
		example: "kafka-indexer supervisor history metrics-kafka", run: supervisorHistory},
	{group: "supervisor", name: "diff", args: "ID", nargs: 1, summary: "show a unified diff between two spec versions of a supervisor's history",
		detail: "Versions are numbered 1 (oldest) to N (newest), as `supervisor history` shows them; by default\nthe two newest are compared. Specs are compared as indented JSON with sorted keys.",
		flags: []cliFlag{
			{name: "from", kind: "int", arg: "N", usage: "older version number (default: the one before --to)"},
			{name: "to", kind: "int", arg: "M", usage: "newer version number (default: the newest)"},
		},
		example: "kafka-indexer supervisor diff metrics-kafka --from 1 --to 2", run: supervisorDiff},

	{group: "task", name: "list", summary: "list tasks, newest first (GET /druid/indexer/v1/tasks)",
		flags: []cliFlag{
			{name: "state", kind: "string", arg: "STATE", usage: "only tasks in this state", values: []string{"running", "pending", "waiting", "complete"}},
			{name: "datasource", kind: "string", arg: "DS", usage: "only tasks of this datasource"},
			quietFlag,
		},
		example: "kafka-indexer task list --state running --datasource metrics-kafka", run: taskList},
	{group: "task", name: "status", args: "ID", nargs: 1, summary: "show one task's status (GET /druid/indexer/v1/task/{id}/status)",
		example: "kafka-indexer task status \"$(kafka-indexer task list -q | head -n 1)\"", run: taskStatus},
	{group: "task", name: "reports", args: "ID", nargs: 1, summary: "print a task's reports: live while it runs, the completion report after (GET /task/{id}/reports)",
		example: "kafka-indexer task reports \"$(kafka-indexer task list --state complete -q | head -n 1)\"", run: taskReports},
	{group: "task", name: "shutdown", args: "ID", nargs: 1, summary: "kill a task; its supervisor starts a replacement from the last published offsets (POST /task/{id}/shutdown)",
		example: "kafka-indexer task shutdown \"$(kafka-indexer task list -q | head -n 1)\"", run: taskShutdown},

	{group: "datasource", name: "list", summary: "list datasources with published segments (GET /druid/coordinator/v1/metadata/datasources)",
		flags: []cliFlag{quietFlag}, example: "kafka-indexer datasource list", run: datasourceList},
	{group: "datasource", name: "segments", args: "DS", nargs: 1, summary: "list a datasource's published segments (GET /druid/coordinator/v1/metadata/datasources/{ds}/segments?full)",
		example: "kafka-indexer datasource segments metrics-kafka", run: datasourceSegments},
}

// completionCommands join cliCommands in init: their scripts are generated from cliCommands,
// which a static initialiser could not refer back to.
var completionCommands = []*cliCommand{
	{group: "completion", name: "bash", summary: "print the bash completion script",
		example: "source <(kafka-indexer completion bash)", run: completionBash},
	{group: "completion", name: "zsh", summary: "print the zsh completion script",
		example: "kafka-indexer completion zsh > \"${fpath[1]}/_kafka-indexer\"", run: completionZsh},
	{group: "completion", name: "fish", summary: "print the fish completion script",
		example: "kafka-indexer completion fish > ~/.config/fish/completions/kafka-indexer.fish", run: completionFish},
}

func init() {
	cliCommands = append(cliCommands, completionCommands...)
	for _, c := range cliCommands {
		if a := strings.Fields(c.args); c.argKind == "" && len(a) > 0 && (a[0] == "ID" || a[0] == "DS") {
			c.argKind = c.group
		}
	}
}

// allFlags is every flag of c: its own, then the connection flags (completion scripts talk to
// no server and have none).
func (c *cliCommand) allFlags() []cliFlag {
	if c.group == "completion" {
		return c.flags
	}
	return append(append([]cliFlag{}, c.flags...), connFlags...)
}

func (c *cliCommand) path() string { return c.group + " " + c.name }

// cliUsageError is a mistake in the command line: exit code 2, with the command's usage.
type cliUsageError struct{ msg string }

func (e *cliUsageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &cliUsageError{fmt.Sprintf(format, a...)} }

// invocation is one parsed run of a command: its flags, arguments and streams.
type invocation struct {
	cmd    *cliCommand
	args   []string
	fs     *flag.FlagSet
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// stdinTerminal and stdoutTerminal say whether the streams are terminals: confirmation
	// prompts need the one, --watch redraws in place on the other.
	stdinTerminal, stdoutTerminal bool
	cl                            *client.Client
}

func (inv *invocation) str(name string) string { return inv.fs.Lookup(name).Value.String() }

func (inv *invocation) boolean(name string) bool {
	return inv.fs.Lookup(name).Value.(flag.Getter).Get().(bool)
}

func (inv *invocation) integer(name string) int {
	return inv.fs.Lookup(name).Value.(flag.Getter).Get().(int)
}

func (inv *invocation) duration(name string) time.Duration {
	return inv.fs.Lookup(name).Value.(flag.Getter).Get().(time.Duration)
}

func (inv *invocation) json() bool { return inv.str("output") == "json" }

// cliEnv is what a CLI run reads from its process; tests substitute it.
type cliEnv struct {
	stdin                         io.Reader
	stdinTerminal, stdoutTerminal bool
	getenv                        func(string) string
}

// runCLI runs `kafka-indexer GROUP [SUBCOMMAND [ARGS]]` for one of the groups of cliGroups.
func runCLI(ctx context.Context, group string, args []string, env cliEnv, stdout, stderr io.Writer) error {
	if group == completeCommand {
		completeIDs(ctx, args, env, stdout)
		return nil
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stdout
		if len(args) == 0 {
			w = stderr
		}
		groupUsage(w, group)
		if len(args) == 0 {
			return usagef("%s: a subcommand is required", group)
		}
		return flag.ErrHelp
	}
	var cmd *cliCommand
	for _, c := range cliCommands {
		if c.group == group && c.name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		groupUsage(stderr, group)
		return usagef("%s: unknown subcommand %q", group, args[0])
	}
	inv := &invocation{cmd: cmd, stdin: env.stdin, stdout: stdout, stderr: stderr, stdinTerminal: env.stdinTerminal, stdoutTerminal: env.stdoutTerminal}
	fs, err := parseCommandFlags(cmd, args[1:], env.getenv, stdout, stderr)
	if err != nil {
		return err
	}
	inv.fs, inv.args = fs, fs.Args()
	if len(inv.args) != cmd.nargs {
		commandUsage(stderr, cmd)
		if len(inv.args) < cmd.nargs {
			return usagef("%s: missing %s", cmd.path(), strings.Fields(cmd.args)[len(inv.args)])
		}
		return usagef("%s: unexpected arguments %q", cmd.path(), inv.args[cmd.nargs:])
	}
	for i, a := range inv.args {
		if a == "" {
			commandUsage(stderr, cmd)
			return usagef("%s: %s must not be empty", cmd.path(), strings.Fields(cmd.args)[i])
		}
	}
	if cmd.group != "completion" {
		if o := inv.str("output"); o != "table" && o != "json" {
			return usagef("-o must be table or json, got %q", o)
		}
		if inv.cl, err = newCLIClient(inv); err != nil {
			return err
		}
	}
	if cmd.confirm != "" {
		if err := confirm(inv); err != nil {
			return &cliCommandError{cmd, err}
		}
	}
	err = cmd.run(ctx, inv)
	var ne net.Error
	var ae *client.APIError
	if err != nil && !errors.As(err, &ae) && errors.As(err, &ne) {
		// The request never got an answer: say which server, and how to name another. The
		// url.Error around the cause only repeats the URL.
		cause := error(ne)
		var ue *url.Error
		if errors.As(err, &ue) {
			cause = ue.Err
		}
		err = fmt.Errorf("cannot reach the server at %s (set --endpoint or KAFKA_INDEXER_ENDPOINT): %w", inv.cl.Endpoint(), cause)
	}
	if err != nil {
		return &cliCommandError{cmd, err}
	}
	return nil
}

// cliCommandError is a failure of a command that ran: exit code 1, printed after the command's
// full name ("kafka-indexer supervisor submit: …").
type cliCommandError struct {
	cmd *cliCommand
	err error
}

func (e *cliCommandError) Error() string { return e.cmd.path() + ": " + cliMessage(e.err) }

func (e *cliCommandError) Unwrap() error { return e.err }

// parseCommandFlags builds cmd's flag set from the table, with defaults from the environment,
// and parses args allowing flags after positional arguments (`status ID -o json`).
func parseCommandFlags(cmd *cliCommand, args []string, getenv func(string) string, stdout, stderr io.Writer) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet(cmd.path(), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, f := range cmd.allFlags() {
		def := f.def
		if f.env != "" {
			if v := getenv(f.env); v != "" {
				def = v
			}
		}
		names := []string{f.name}
		if f.short != "" {
			names = append(names, f.short)
		}
		switch f.kind {
		case "bool":
			b, _ := strconv.ParseBool(def)
			v := new(bool)
			for _, n := range names {
				fs.BoolVar(v, n, b, f.usage)
			}
		case "int":
			n0, _ := strconv.Atoi(def)
			v := new(int)
			for _, n := range names {
				fs.IntVar(v, n, n0, f.usage)
			}
		case "duration":
			d, err := time.ParseDuration(def)
			if err != nil && def != "" {
				return nil, usagef("%s=%q is not a duration such as 2s", f.env, def)
			}
			v := new(time.Duration)
			for _, n := range names {
				fs.DurationVar(v, n, d, f.usage)
			}
		default:
			v := new(string)
			for _, n := range names {
				fs.StringVar(v, n, def, f.usage)
			}
		}
	}
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				commandUsage(stdout, cmd)
				return nil, flag.ErrHelp
			}
			commandUsage(stderr, cmd)
			return nil, usagef("%s: %v", cmd.path(), err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			// Everything after "--" is positional, even when it starts with a dash.
			positional = append(positional, rest[1:]...)
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
	}
	// Re-parse only the positional arguments so that fs.Args() returns them.
	_ = fs.Parse(append([]string{"--"}, positional...))
	return fs, nil
}

func newCLIClient(inv *invocation) (*client.Client, error) {
	var opts []client.Opt
	// A person at a prompt wants an answer or an error within seconds, not after minutes of
	// backoff against a server that is down.
	opts = append(opts, client.WithMaxRetries(2), client.WithRetryWait(200*time.Millisecond, 2*time.Second), client.WithTimeout(30*time.Second),
		client.WithUserAgent("kafka-indexer-cli/"+version))
	if u := inv.str("username"); u != "" {
		opts = append(opts, client.WithBasicAuth(u, inv.str("password")))
	} else if inv.str("password") != "" {
		return nil, usagef("--password (or KAFKA_INDEXER_PASSWORD) given without --username (or KAFKA_INDEXER_USERNAME)")
	}
	cl, err := client.New(inv.str("endpoint"), opts...)
	if err != nil {
		return nil, usagef("--endpoint: %v", err)
	}
	return cl, nil
}

// confirm asks before a dangerous command: on a terminal it prints the command's sentence and
// wants "y" or "yes"; without a terminal it refuses unless --yes was given, so a script never
// blocks on a prompt nobody sees.
func confirm(inv *invocation) error {
	if inv.boolean("yes") {
		return nil
	}
	what := fmt.Sprintf(inv.cmd.confirm, inv.args[0])
	if !inv.stdinTerminal {
		// The error is printed after the command's name already.
		what = strings.TrimPrefix(what, inv.cmd.name+": ")
		return fmt.Errorf("%s\nrefusing without confirmation: stdin is not a terminal; pass --yes to go ahead", what)
	}
	fmt.Fprintf(inv.stderr, "%s\nContinue? [y/N] ", what)
	var answer string
	_, _ = fmt.Fscanln(inv.stdin, &answer)
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return errors.New("aborted: nothing was changed")
}

// cliMessage turns an error of the client into what a person should read: the server's own
// message (Druid's {"error": …} text) with the status code, not the client's request trace.
func cliMessage(err error) string {
	var ae *client.APIError
	if errors.As(err, &ae) {
		// Keep the context wrapped around the answer ("submit: …"), put the server's words in
		// place of the client's request trace.
		friendly := fmt.Sprintf("%s (HTTP %d from %s %s)", ae.Message, ae.StatusCode, ae.Method, ae.Path)
		if msg := err.Error(); strings.Contains(msg, ae.Error()) {
			return strings.Replace(msg, ae.Error(), friendly, 1)
		}
		return friendly
	}
	return err.Error()
}

func groupUsage(w io.Writer, group string) {
	summary := ""
	for _, g := range cliGroups {
		if g.name == group {
			summary = g.summary
		}
	}
	fmt.Fprintf(w, "Usage: kafka-indexer %s SUBCOMMAND [ARGS] [flags]\n\n%s\n\nSubcommands:\n", group, capitalize(summary))
	tw := newTable(w)
	for _, c := range cliCommands {
		if c.group == group {
			fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\nRun 'kafka-indexer %s SUBCOMMAND -h' for its flags and an example.\n", group)
}

func commandUsage(w io.Writer, c *cliCommand) {
	line := "kafka-indexer " + c.path()
	if c.args != "" {
		line += " " + c.args
	}
	if len(c.allFlags()) > 0 {
		line += " [flags]"
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n", line, capitalize(c.summary))
	if c.detail != "" {
		fmt.Fprintf(w, "\n%s\n", c.detail)
	}
	if fl := c.allFlags(); len(fl) > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		tw := newTable(w)
		for _, f := range fl {
			name := "--" + f.name
			if f.short != "" {
				name = "-" + f.short + ", " + name
			}
			if f.arg != "" {
				name += " " + f.arg
			}
			var notes []string
			if f.env != "" {
				notes = append(notes, "env "+f.env)
			}
			if f.def != "" {
				notes = append(notes, "default "+f.def)
			}
			usage := f.usage
			if len(notes) > 0 {
				usage += " (" + strings.Join(notes, ", ") + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
		}
		_ = tw.Flush()
	}
	fmt.Fprintf(w, "\nExample:\n  %s\n", c.example)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// cliUsage is the part of `kafka-indexer help` that lists the operator commands.
func cliUsage(w io.Writer) {
	fmt.Fprint(w, "\nOperator commands (talk to a running server; --endpoint or KAFKA_INDEXER_ENDPOINT):\n")
	for _, g := range cliGroups {
		var subs []string
		for _, c := range cliCommands {
			if c.group == g.name {
				subs = append(subs, c.name)
			}
		}
		fmt.Fprintf(w, "  kafka-indexer %-11s %s\n  %26s%s\n", g.name, capitalize(g.summary), "", strings.Join(subs, " | "))
	}
	fmt.Fprint(w, "\nRun 'kafka-indexer COMMAND -h' (e.g. 'kafka-indexer supervisor status -h') for flags and an example.\n")
}

// processCLIEnv is the CLI's view of the real process.
func processCLIEnv() cliEnv {
	return cliEnv{stdin: os.Stdin, stdinTerminal: isTerminalFile(os.Stdin), stdoutTerminal: isTerminalFile(os.Stdout), getenv: os.Getenv}
}

// isTerminalFile asks the terminal driver, not the file mode: /dev/null is a character device
// too, and a prompt there would wait for nobody.
func isTerminalFile(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// sortedKeys returns m's keys in numeric order when they are partition numbers, else lexical.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, errA := strconv.Atoi(keys[i])
		b, errB := strconv.Atoi(keys[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return keys[i] < keys[j]
	})
	return keys
}
