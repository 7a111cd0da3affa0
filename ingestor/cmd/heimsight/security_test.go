//go:build duckdb_arrow

package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// writeSelfSigned writes a fresh ECDSA certificate for 127.0.0.1 and localhost and its key, and
// returns their paths and a pool that trusts the certificate.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "heimsight test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

const (
	ingestSecret = "collector-secret-7f3a9c2e41d8"
	querySecret  = "grafana-secret-0b6e5d4c3a21"
)

// startServe runs serve in the process and returns the listening line's addresses and a stop
// function that returns the exit code and the whole log.
func startServe(t *testing.T, vars map[string]string) (rest, grpcAddr, otlpHTTP string, stop func() (int, string)) {
	t.Helper()
	base := map[string]string{
		"HEIMSIGHT_HOST": "127.0.0.1", "HEIMSIGHT_PORT": "0", "HEIMSIGHT_GRPC_PORT": "0",
		"HEIMSIGHT_OTLP_HTTP_PORT": "0", "HEIMSIGHT_DATA_DIR": t.TempDir(), "HEIMSIGHT_LOG_LEVEL": "debug",
	}
	for k, v := range vars {
		base[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(base), logs, logs) }()
	var m []string
	for deadline := time.Now().Add(30 * time.Second); m == nil; {
		if m = listenRe.FindStringSubmatch(logs.String()); m == nil {
			select {
			case code := <-done:
				cancel()
				t.Fatalf("serve exited with %d:\n%s", code, logs.String())
			default:
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("no listening line:\n%s", logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	stopped := false
	var code int
	stop = func() (int, string) {
		if !stopped {
			stopped = true
			cancel()
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop")
			}
		}
		return code, logs.String()
	}
	t.Cleanup(func() { stop() })
	return m[1], m[2], m[3], stop
}

func logsBody(t *testing.T) []byte {
	t.Helper()
	b, err := proto.Marshal(&collogspb.ExportLogsServiceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTLSAndTokensOnEveryListener serves REST, OTLP/HTTP and OTLP/gRPC over TLS with tokens,
// checks each listener refuses plain text, answers 401/403 and accepts the right token, runs the
// CLI with HEIMSIGHT_API_TOKEN, and checks that no secret ever reaches the log.
func TestTLSAndTokensOnEveryListener(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeSelfSigned(t, dir)
	rest, grpcAddr, otlpHTTP, stop := startServe(t, map[string]string{
		"HEIMSIGHT_TLS_CERT_FILE": certFile, "HEIMSIGHT_TLS_KEY_FILE": keyFile,
		"HEIMSIGHT_API_TOKENS": "collector:ingest:" + ingestSecret + ",grafana:query:" + querySecret,
	})
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	do := func(method, url, secret, ct string, body []byte) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, c := range []struct {
		method, url, secret, ct string
		body                    []byte
		want                    int
	}{
		{"GET", "https://" + rest + "/health", "", "", nil, 200},
		{"GET", "https://" + rest + "/api/v1/logs", "", "", nil, 401},
		{"GET", "https://" + rest + "/api/v1/logs", ingestSecret, "", nil, 403},
		{"GET", "https://" + rest + "/api/v1/logs", querySecret, "", nil, 200},
		{"GET", "https://" + rest + "/metrics", querySecret, "", nil, 200},
		{"POST", "https://" + rest + "/api/v1/logs", ingestSecret, "application/json", []byte(`{"timestamp": 1795000000000000000, "body": "over TLS", "service": "tls"}`), 200},
		{"POST", "https://" + rest + "/v1/logs", querySecret, "application/x-protobuf", logsBody(t), 403},
		{"POST", "https://" + otlpHTTP + "/v1/logs", "", "application/x-protobuf", logsBody(t), 401},
		{"POST", "https://" + otlpHTTP + "/v1/logs", ingestSecret, "application/x-protobuf", logsBody(t), 200},
		{"GET", "https://" + rest + "/api/v1/config/retention", querySecret, "", nil, 403},
	} {
		if resp := do(c.method, c.url, c.secret, c.ct, c.body); resp.StatusCode != c.want {
			t.Errorf("%s %s (%.8q): %d, want %d", c.method, c.url, c.secret, resp.StatusCode, c.want)
		} else if c.method == "GET" && resp.ProtoMajor != 2 {
			t.Errorf("%s: served over %s, want HTTP/2 through ALPN", c.url, resp.Proto)
		}
	}
	// Refusals are counted, not logged: 2 unauthenticated and 3 forbidden requests so far.
	metricsReq, _ := http.NewRequest("GET", "https://"+rest+"/metrics", nil)
	metricsReq.Header.Set("Authorization", "Bearer "+querySecret)
	if resp, err := hc.Do(metricsReq); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`heimsight_auth_refused_total{reason="unauthenticated"} 2`, `heimsight_auth_refused_total{reason="forbidden"} 3`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	}
	// Plain HTTP to a TLS listener is refused (Go answers 400 to a plain request on a TLS port).
	if resp, err := http.Get("http://" + rest + "/health"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on the TLS REST port")
		}
	}

	// gRPC over TLS, with and without the token.
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lc := collogspb.NewLogsServiceClient(conn)
	cx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := lc.Export(cx, &collogspb.ExportLogsServiceRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC without token: %v", err)
	}
	if _, err := lc.Export(metadata.AppendToOutgoingContext(cx, "authorization", "Bearer "+querySecret), &collogspb.ExportLogsServiceRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("gRPC with a query token: %v", err)
	}
	if _, err := lc.Export(metadata.AppendToOutgoingContext(cx, "authorization", "Bearer "+ingestSecret), &collogspb.ExportLogsServiceRequest{}); err != nil {
		t.Errorf("gRPC with the ingest token: %v", err)
	}

	// The CLI sends HEIMSIGHT_API_TOKEN; it trusts the test CA through SSL_CERT_FILE in real use,
	// which a test cannot set for its own process, so it talks to a plain-HTTP recorder here
	// and the TLS path is covered above.
	var gotAuth []string
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		if r.URL.Path == "/health" {
			w.Write([]byte(`{"status":"ok","version":"x","storage":"embedded"}`))
			return
		}
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":{"code":"forbidden","message":"token \"collector\" has scope ingest; this endpoint needs query"}}`))
	}))
	defer rec.Close()
	cliEnv := env(map[string]string{"HEIMSIGHT_API_URL": rec.URL, "HEIMSIGHT_API_TOKEN": querySecret})
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"health"}, cliEnv, &out, &errOut); code != 0 {
		t.Errorf("health: %d %s", code, errOut.String())
	}
	if code := run(context.Background(), []string{"query", "SELECT 1 FROM logs"}, cliEnv, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "403 forbidden") {
		t.Errorf("query with a wrong-scope token: exit %d, %q", code, errOut.String())
	}
	if len(gotAuth) != 2 || gotAuth[0] != "Bearer "+querySecret || gotAuth[1] != "Bearer "+querySecret {
		t.Errorf("CLI sent Authorization %q", gotAuth)
	}

	code, log := stop()
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, log)
	}
	for _, s := range []string{ingestSecret, querySecret} {
		if strings.Contains(log, s) {
			t.Errorf("the log contains a token secret:\n%s", log)
		}
	}
	for _, want := range []string{"authentication enabled", "collector:ingest", "grafana:query", "tls=true", "auth=true"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestOpenServerWarns(t *testing.T) {
	_, _, _, stop := startServe(t, nil)
	_, log := stop()
	if !strings.Contains(log, "level=WARN msg=\"authentication disabled") || !strings.Contains(log, "auth=false") {
		t.Errorf("no warning about the open server:\n%s", log)
	}
}

// TestBadSecurityFilesRefuseToStart: every bad certificate, key or token file stops serve before
// any listener or store opens, with an error that names the setting and the reason.
func TestBadSecurityFilesRefuseToStart(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := writeSelfSigned(t, dir)
	other := t.TempDir()
	otherCert, _, _ := writeSelfSigned(t, other)
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM"), 0o600)
	unreadable := filepath.Join(dir, "unreadable.pem")
	os.WriteFile(unreadable, []byte("x"), 0o000)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	emptyTokens := filepath.Join(dir, "empty-tokens")
	os.WriteFile(emptyTokens, []byte("# nothing\n"), 0o600)
	badTokens := filepath.Join(dir, "bad-tokens")
	os.WriteFile(badTokens, []byte("a:ingest:"+ingestSecret+"\nb:write:"+querySecret+"\n"), 0o600)

	for _, c := range []struct {
		name string
		vars map[string]string
		code int
		want string
	}{
		{"cert without key", map[string]string{"HEIMSIGHT_TLS_CERT_FILE": certFile}, 2, "both HEIMSIGHT_TLS_CERT_FILE and HEIMSIGHT_TLS_KEY_FILE"},
		{"missing cert", map[string]string{"HEIMSIGHT_TLS_CERT_FILE": filepath.Join(dir, "../nope/../../cert.pem"), "HEIMSIGHT_TLS_KEY_FILE": keyFile}, 1, "HEIMSIGHT_TLS_CERT_FILE"},
		{"directory as key", map[string]string{"HEIMSIGHT_TLS_CERT_FILE": certFile, "HEIMSIGHT_TLS_KEY_FILE": dir}, 1, "not a regular file but a directory"},
		{"device as cert", map[string]string{"HEIMSIGHT_TLS_CERT_FILE": "/dev/zero", "HEIMSIGHT_TLS_KEY_FILE": keyFile}, 1, "a device"},
		{"fifo as key", map[string]string{"HEIMSIGHT_TLS_CERT_FILE": certFile, "HEIMSIGHT_TLS_KEY_FILE": fifo}, 1, "a named pipe"},
		{"not PEM", map[string]string{"HEIMSIGHT_TLS_CERT_FILE": garbage, "HEIMSIGHT_TLS_KEY_FILE": keyFile}, 1, "cannot load TLS certificate"},
		{"key of another cert", map[string]string{"HEIMSIGHT_TLS_CERT_FILE": otherCert, "HEIMSIGHT_TLS_KEY_FILE": keyFile}, 1, "private key does not match public key"},
		{"NUL in path", map[string]string{"HEIMSIGHT_TLS_CERT_FILE": certFile + "\x00", "HEIMSIGHT_TLS_KEY_FILE": keyFile}, 2, "NUL"},
		{"token file missing", map[string]string{"HEIMSIGHT_API_TOKENS_FILE": filepath.Join(dir, "..", "..", "no-such-tokens")}, 1, "HEIMSIGHT_API_TOKENS_FILE"},
		{"token file empty", map[string]string{"HEIMSIGHT_API_TOKENS_FILE": emptyTokens}, 1, "no tokens in it"},
		{"token file bad scope", map[string]string{"HEIMSIGHT_API_TOKENS_FILE": badTokens}, 1, `token 2: "b": unknown scope`},
		{"token file is a directory", map[string]string{"HEIMSIGHT_API_TOKENS_FILE": dir}, 1, "a directory"},
		{"short token", map[string]string{"HEIMSIGHT_API_TOKENS": "a:ingest:changeme"}, 1, "shorter than 16"},
		{"tokens and file", map[string]string{"HEIMSIGHT_API_TOKENS": "a:ingest:" + ingestSecret, "HEIMSIGHT_API_TOKENS_FILE": badTokens}, 2, "not both"},
		{"data dir is a file", map[string]string{"HEIMSIGHT_DATA_DIR": certFile}, 1, "cannot open embedded store"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "unreadable" && os.Geteuid() == 0 {
				t.Skip("root reads every file")
			}
			vars := map[string]string{"HEIMSIGHT_HOST": "127.0.0.1", "HEIMSIGHT_PORT": "0", "HEIMSIGHT_GRPC_PORT": "0",
				"HEIMSIGHT_OTLP_HTTP_PORT": "0", "HEIMSIGHT_DATA_DIR": filepath.Join(t.TempDir(), "data")}
			for k, v := range c.vars {
				vars[k] = v
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"serve"}, env(vars), &out, &errOut)
			if code != c.code || !strings.Contains(errOut.String(), c.want) {
				t.Fatalf("exit %d, want %d; stderr %q, want it to contain %q", code, c.code, errOut.String(), c.want)
			}
			if strings.Contains(errOut.String(), "msg=listening") {
				t.Error("listeners opened before the error")
			}
			for _, s := range []string{ingestSecret, querySecret, "changeme"} {
				if strings.Contains(errOut.String(), s) {
					t.Errorf("stderr shows a secret: %q", errOut.String())
				}
			}
			t.Logf("%s", strings.TrimSpace(errOut.String()))
		})
	}
	if os.Geteuid() != 0 {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"serve"}, env(map[string]string{"HEIMSIGHT_TLS_CERT_FILE": unreadable, "HEIMSIGHT_TLS_KEY_FILE": keyFile,
			"HEIMSIGHT_DATA_DIR": t.TempDir()}), &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), "permission denied") {
			t.Errorf("unreadable cert: %d %q", code, errOut.String())
		}
	}
}
