package task

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kafka-indexer/terraform-provider-kafka/engine/spec"
)

// saslMechanism builds the mechanism sasl.mechanism names, with its credentials from
// sasl.jaas.config in the form Java clients write it, e.g.
//
//	org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";
//
// (librdkafka's sasl.username/sasl.password are accepted too). Errors name the property and
// never repeat its value: the JAAS line holds passwords.
func saslMechanism(p map[string]string) (sasl.Mechanism, error) {
	jaas, err := spec.ParseJAAS(p["sasl.jaas.config"])
	if err != nil {
		return nil, fmt.Errorf("consumerProperties.sasl.jaas.config: %w", err)
	}
	opt := jaas.Options
	switch mech := strings.ToUpper(p["sasl.mechanism"]); mech {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		user, pass := p["sasl.username"], p["sasl.password"]
		if v, ok := opt["username"]; ok {
			user = v
		}
		if v, ok := opt["password"]; ok {
			pass = v
		}
		if user == "" {
			return nil, fmt.Errorf("consumerProperties.sasl.jaas.config: no username found")
		}
		switch mech {
		case "SCRAM-SHA-256":
			return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
		case "SCRAM-SHA-512":
			return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
		}
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "OAUTHBEARER":
		return oauthBearer(p, opt)
	case "AWS_MSK_IAM":
		return mskIAM(opt)
	default:
		return nil, fmt.Errorf("consumerProperties.sasl.mechanism: unsupported mechanism %q (%s)", p["sasl.mechanism"], strings.Join(spec.SASLMechanisms, ", "))
	}
}

// oauthBearer is Kafka's OAUTHBEARER login with the client-credentials grant (KIP-768): the
// token comes from sasl.oauthbearer.token.endpoint.url, called with the clientId,
// clientSecret and scope of the OAuthBearerLoginModule line (or Kafka 4.1's
// sasl.oauthbearer.client.credentials.* properties). A file:// URL names a file holding the
// token, read at each login as the Java client does. extension_<name> options become SASL
// extensions.
func oauthBearer(p, opt map[string]string) (sasl.Mechanism, error) {
	raw := p["sasl.oauthbearer.token.endpoint.url"]
	if raw == "" {
		return nil, fmt.Errorf("consumerProperties.sasl.oauthbearer.token.endpoint.url: missing (OAUTHBEARER needs the token endpoint of the identity provider)")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") {
		return nil, fmt.Errorf("consumerProperties.sasl.oauthbearer.token.endpoint.url: must be an http(s):// or file:// URL")
	}
	ext := map[string]string{}
	for k, v := range opt {
		if name, ok := strings.CutPrefix(k, "extension_"); ok {
			ext[name] = v
		}
	}
	if u.Scheme == "file" {
		return oauth.Oauth(func(context.Context) (oauth.Auth, error) {
			b, err := os.ReadFile(u.Path)
			if err != nil {
				return oauth.Auth{}, fmt.Errorf("read OAUTHBEARER token: %w", err)
			}
			return oauth.Auth{Token: strings.TrimSpace(string(b)), Extensions: ext}, nil
		}), nil
	}
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := opt[k]; v != "" {
				return v
			}
			if v := p[k]; v != "" {
				return v
			}
		}
		return ""
	}
	cfg := &clientcredentials.Config{
		ClientID:     first("clientId", "sasl.oauthbearer.client.credentials.client.id"),
		ClientSecret: first("clientSecret", "sasl.oauthbearer.client.credentials.client.secret"),
		TokenURL:     raw,
		// The Java client sends the credentials as HTTP Basic authentication.
		AuthStyle: oauth2.AuthStyleInHeader,
	}
	if s := first("scope", "sasl.oauthbearer.scope"); s != "" {
		cfg.Scopes = strings.Fields(s)
	}
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("consumerProperties.sasl.jaas.config: OAUTHBEARER needs clientId (OAuthBearerLoginModule required clientId=\"…\" clientSecret=\"…\";)")
	}
	httpc := &http.Client{Timeout: tokenHTTPTimeout}
	if u.Scheme == "https" {
		// As in Kafka's JaasOptionsUtils, TLS to the identity provider is configured by ssl.*
		// options inside the JAAS line, not by the client's own ssl.* properties; without them
		// the system roots apply.
		sslOpt := map[string]string{}
		for k, v := range opt {
			if strings.HasPrefix(k, "ssl.") {
				sslOpt[k] = v
			}
		}
		if len(sslOpt) > 0 {
			tc, err := tlsConfig(sslOpt)
			if err != nil {
				return nil, fmt.Errorf("sasl.jaas.config (TLS to the token endpoint): %w", err)
			}
			httpc.Transport = &http.Transport{TLSClientConfig: tc}
		}
	}
	tc := &tokenCache{cfg: cfg, http: httpc, now: time.Now}
	return oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
		tok, err := tc.token(ctx)
		if err != nil {
			return oauth.Auth{}, err
		}
		return oauth.Auth{Token: tok, Extensions: ext}, nil
	}), nil
}

// tokenCache keeps the last access token and fetches a new one once 80% of its lifetime has
// passed, as the Java client's login refresh does (sasl.login.refresh.window.factor = 0.8),
// so every new broker connection and re-authentication reuses a valid token.
type tokenCache struct {
	cfg  *clientcredentials.Config
	http *http.Client
	now  func() time.Time

	mu        sync.Mutex
	tok       string
	refreshAt time.Time
}

// tokenHTTPTimeout bounds one call of the token endpoint (sasl.login.read.timeout.ms).
const tokenHTTPTimeout = 30 * time.Second

func (c *tokenCache) token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.tok != "" && now.Before(c.refreshAt) {
		return c.tok, nil
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.http)
	t, err := c.cfg.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("fetch OAUTHBEARER token from sasl.oauthbearer.token.endpoint.url: %w", err)
	}
	// The lifetime comes from expires_in (clientcredentials keeps it only in the raw
	// response), else from the JWT's exp claim.
	var life time.Duration
	if n, ok := t.Extra("expires_in").(float64); ok && n > 0 {
		life = time.Duration(n * float64(time.Second))
	} else if exp := jwtExpiry(t.AccessToken); !exp.IsZero() {
		life = exp.Sub(now)
	} else if !t.Expiry.IsZero() {
		life = time.Until(t.Expiry)
	}
	c.tok = t.AccessToken
	// Without a lifetime the token is fetched again for every login.
	c.refreshAt = now.Add(life * 8 / 10)
	return c.tok, nil
}

// jwtExpiry reads the exp claim of a JWT access token; zero if the token is not a JWT.
func jwtExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(b, &claims) != nil || claims.Exp <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(claims.Exp), 0)
}

// mskIAM is Amazon MSK's IAM authentication (the aws-msk-iam-auth IAMLoginModule):
// credentials come from the default AWS chain (environment, shared files, web identity,
// container and instance roles), or from the profile awsProfileName names; with awsRoleArn
// those credentials assume that role through STS (awsRoleSessionName, awsRoleExternalId and
// awsStsRegion as in the Java library). The SDK caches and refreshes the credentials; each
// login signs with the current ones.
func mskIAM(opt map[string]string) (sasl.Mechanism, error) {
	var load []func(*awsconfig.LoadOptions) error
	if prof := opt["awsProfileName"]; prof != "" {
		load = append(load, awsconfig.WithSharedConfigProfile(prof))
	}
	ctx, cancel := context.WithTimeout(context.Background(), tokenHTTPTimeout)
	defer cancel()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("consumerProperties.sasl.jaas.config: load AWS credentials: %w", err)
	}
	creds := cfg.Credentials
	if arn := opt["awsRoleArn"]; arn != "" {
		client := sts.NewFromConfig(cfg, func(o *sts.Options) {
			switch {
			case opt["awsStsRegion"] != "":
				o.Region = opt["awsStsRegion"]
			case o.Region == "":
				o.Region = "us-east-1"
			}
		})
		creds = awssdk.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = opt["awsRoleSessionName"]
			if id := opt["awsRoleExternalId"]; id != "" {
				o.ExternalID = &id
			}
		}))
	}
	return aws.ManagedStreamingIAM(func(ctx context.Context) (aws.Auth, error) {
		v, err := creds.Retrieve(ctx)
		if err != nil {
			return aws.Auth{}, fmt.Errorf("AWS_MSK_IAM: retrieve AWS credentials: %w", err)
		}
		return aws.Auth{AccessKey: v.AccessKeyID, SecretKey: v.SecretAccessKey, SessionToken: v.SessionToken}, nil
	}), nil
}
