package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/heimsight/heimsight/pkg/auth"
	"github.com/heimsight/heimsight/pkg/config"
)

// maxPEMBytes bounds a certificate or key file: real chains are a few kilobytes.
const maxPEMBytes = 1 << 20

// loadTokens reads the API tokens and says in the log whether the server is open. Only token
// names and scopes are logged, never secrets.
func loadTokens(opts config.Options, log *slog.Logger) (*auth.Authenticator, error) {
	var tokens []auth.Token
	switch {
	case opts.APITokensFile != "":
		var worldReadable bool
		var err error
		tokens, worldReadable, err = auth.LoadFile(opts.APITokensFile)
		if err != nil {
			return nil, fmt.Errorf("cannot load HEIMSIGHT_API_TOKENS_FILE: %w", err)
		}
		if len(tokens) == 0 {
			return nil, fmt.Errorf("cannot load HEIMSIGHT_API_TOKENS_FILE %s: no tokens in it; remove the setting to run without authentication", opts.APITokensFile)
		}
		if worldReadable {
			log.Warn("the API token file is readable by every user of this machine; chmod 600 it", "file", opts.APITokensFile)
		}
	case opts.APITokens != "":
		var err error
		if tokens, err = auth.Parse(opts.APITokens); err != nil {
			return nil, fmt.Errorf("cannot parse HEIMSIGHT_API_TOKENS: %w", err)
		}
	}
	a := auth.New(tokens)
	if a.Enabled() {
		log.Info("authentication enabled", "tokens", a.Names())
	} else {
		log.Warn("authentication disabled: no HEIMSIGHT_API_TOKENS or HEIMSIGHT_API_TOKENS_FILE set, so every endpoint is open to anyone who can reach it")
	}
	return a, nil
}

// loadTLS loads the certificate and key, or returns nil when TLS is off.
func loadTLS(opts config.Options) (*tls.Config, error) {
	if opts.TLSCertFile == "" && opts.TLSKeyFile == "" {
		return nil, nil
	}
	if opts.TLSCertFile == "" || opts.TLSKeyFile == "" {
		return nil, errors.New("cannot load TLS: set both HEIMSIGHT_TLS_CERT_FILE and HEIMSIGHT_TLS_KEY_FILE, or neither")
	}
	certPEM, _, err := auth.ReadSmallFile(opts.TLSCertFile, maxPEMBytes)
	if err != nil {
		return nil, fmt.Errorf("cannot load HEIMSIGHT_TLS_CERT_FILE: %w", err)
	}
	keyPEM, _, err := auth.ReadSmallFile(opts.TLSKeyFile, maxPEMBytes)
	if err != nil {
		return nil, fmt.Errorf("cannot load HEIMSIGHT_TLS_KEY_FILE: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("cannot load TLS certificate %s and key %s: %w", opts.TLSCertFile, opts.TLSKeyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// bearerTransport adds the CLI's API token to every request.
type bearerTransport struct {
	token string
	base  http.RoundTripper
}

func (t *bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.base.RoundTrip(r)
}

// cliHTTPClient is the CLI's HTTP client: timeout, and HEIMSIGHT_API_TOKEN when set.
func cliHTTPClient(opts config.Options, timeout time.Duration) *http.Client {
	c := &http.Client{Timeout: timeout}
	if opts.APIToken != "" {
		c.Transport = &bearerTransport{token: opts.APIToken, base: http.DefaultTransport}
	}
	return c
}
