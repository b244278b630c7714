// Package diagnostics builds the provider's recurring diagnostics, so that
// every error from the engine reads the same way: a short Title Case summary
// naming the operation, then what to do next, then the engine's own message.
package diagnostics

import (
	"errors"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/client"
)

// EngineMessage returns the server's own message for err: the "error" field
// of an *client.APIError, or the error text otherwise.
func EngineMessage(err error) string {
	var ae *client.APIError
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

// Engine returns an error diagnostic for a failed engine call. next tells the
// user what to do; the engine's message follows it.
func Engine(summary, next string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic(summary, next+"\n\nEngine message: "+EngineMessage(err))
}

// UnexpectedConfigureType is reported when provider data is not the
// *client.Client the provider's Configure returns (a provider bug).
func UnexpectedConfigureType(got any) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Unexpected Configure Type",
		"Expected *client.Client as provider data. This is a bug in the provider; please report it.")
}
