package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/heimsight/heimsight/ingestor/api"
	"github.com/heimsight/heimsight/ingestor/otlp"
	"github.com/heimsight/heimsight/pkg/config"
	"github.com/heimsight/heimsight/pkg/ingest"
	"github.com/heimsight/heimsight/pkg/store"
	"github.com/heimsight/heimsight/pkg/store/clickhouse"
	"github.com/heimsight/heimsight/pkg/store/embedded"
)

// shutdownTimeout bounds how long in-flight requests may take to finish after a signal, and
// storeCloseTimeout how long the store may then take to flush and close.
const (
	shutdownTimeout   = 30 * time.Second
	storeCloseTimeout = 30 * time.Second
)

// serve runs the server until ctx is cancelled (SIGINT/SIGTERM), then stops accepting, drains
// in-flight requests and closes the store, which flushes.
func serve(ctx context.Context, opts config.Options, logOut io.Writer) error {
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: opts.LogLevel}))
	slog.SetDefault(log)

	// Tokens and certificates are read before anything else starts, so that a bad file stops the
	// process with one clear error and no listener or store ever opened.
	authn, err := loadTokens(opts, log)
	if err != nil {
		return err
	}
	tlsConfig, err := loadTLS(opts)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if authn.Enabled() {
		for _, r := range []struct {
			reason string
			get    func() int64
		}{
			{"unauthenticated", func() int64 { u, _ := authn.Refusals(); return u }},
			{"forbidden", func() int64 { _, f := authn.Refusals(); return f }},
		} {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Namespace: "heimsight", Subsystem: "auth", Name: "refused_total",
				Help:        "Requests refused for a missing or unknown token (unauthenticated) or a missing scope (forbidden).",
				ConstLabels: prometheus.Labels{"reason": r.reason},
			}, func() float64 { return float64(r.get()) }))
		}
	}

	st, err := openStore(opts, log, reg)
	if err != nil {
		return err
	}
	closeStore := func() error {
		if err := st.Close(); err != nil {
			return fmt.Errorf("cannot close store: %w", err)
		}
		return nil
	}
	retentionMgr, stopRetention, err := startRetention(opts, st, log, reg)
	if err != nil {
		return errors.Join(err, closeStore())
	}
	// Retention enforcement stops before the store closes, on every path.
	closeStoreOnly := closeStore
	closeStore = func() error { stopRetention(); return closeStoreOnly() }

	po := ingest.DefaultOptions()
	po.MaxInflightBytes = max(po.MaxInflightBytes, 4*opts.MaxRequestBytes)
	po.Registerer = reg
	po.Limits = ingest.Limits{MaxRecords: opts.MaxRecordsPerRequest, MaxAttributes: opts.MaxAttributesPerRecord,
		MaxValueLength: opts.MaxAttributeValueLength}
	pipeline, err := ingest.New(st, po)
	if err != nil {
		return errors.Join(err, closeStore())
	}
	oo := otlp.DefaultOptions()
	oo.Pipeline, oo.MaxRequestBytes, oo.Logger, oo.Auth = pipeline, opts.MaxRequestBytes, log, authn
	otlpHTTP, err := otlp.NewHTTP(oo)
	if err != nil {
		return errors.Join(err, closeStore())
	}
	var grpcOpts []grpc.ServerOption
	if tlsConfig != nil {
		grpcOpts = append(grpcOpts, grpc.Creds(credentials.NewTLS(tlsConfig)))
	}
	grpcServer, err := otlp.NewGRPCServer(oo, grpcOpts...)
	if err != nil {
		return errors.Join(err, closeStore())
	}
	restAPI, err := api.New(api.Options{
		Pipeline: pipeline, OTLP: otlpHTTP, Query: newQuerier(st, opts, retentionMgr), Gatherer: reg,
		Version: version, Backend: st.Backend(), MaxRequestBytes: opts.MaxRequestBytes, Logger: log,
		Auth: authn, MaxConcurrentQueries: opts.QueryMaxConcurrent, Retention: retentionMgr,
	})
	if err != nil {
		return errors.Join(err, closeStore())
	}

	var lc net.ListenConfig
	listen := func(port int) (net.Listener, error) {
		l, err := lc.Listen(ctx, "tcp", opts.ListenAddr(port))
		if err != nil {
			return nil, fmt.Errorf("cannot listen on %s: %w", opts.ListenAddr(port), err)
		}
		return l, nil
	}
	var listeners []net.Listener
	closeListeners := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	// The REST port serves the OTLP/HTTP routes too, so one port may be configured for both.
	shared := opts.OTLPHTTPPort != 0 && opts.OTLPHTTPPort == opts.Port
	ports := []int{opts.Port, opts.GRPCPort}
	if !shared {
		ports = append(ports, opts.OTLPHTTPPort)
	}
	for _, port := range ports {
		l, err := listen(port)
		if err != nil {
			closeListeners()
			return errors.Join(err, closeStore())
		}
		listeners = append(listeners, l)
	}
	restL, grpcL, otlpL := listeners[0], listeners[1], listeners[0]
	if !shared {
		otlpL = listeners[2]
	}

	restServer := newHTTPServer(restAPI, opts.QueryTimeout+10*time.Second, log, tlsConfig)
	otlpServer := newHTTPServer(otlpHTTP.Handler(), time.Minute, log, tlsConfig)

	errc := make(chan error, 3)
	go func() { errc <- serveHTTP("REST", restServer, restL, tlsConfig != nil) }()
	if !shared {
		go func() { errc <- serveHTTP("OTLP/HTTP", otlpServer, otlpL, tlsConfig != nil) }()
	}
	go func() {
		if err := grpcServer.Serve(grpcL); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			errc <- fmt.Errorf("cannot serve OTLP/gRPC: %w", err)
			return
		}
		errc <- nil
	}()
	// One parsable line with the real addresses, so that port 0 is usable by scripts and tests.
	log.Info("listening", "rest", restL.Addr().String(), "grpc", grpcL.Addr().String(),
		"otlp_http", otlpL.Addr().String(), "storage", st.Backend(), "version", version,
		"tls", tlsConfig != nil, "auth", authn.Enabled())

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", shutdownTimeout)
	case runErr = <-errc:
		log.Error("server failed, shutting down", "err", runErr)
	}
	restAPI.SetStopping()
	if d := opts.ShutdownDelay; d > 0 && runErr == nil {
		// Keep answering, with /health at 503 "stopping", until load balancers have seen it.
		log.Info("health reports stopping; serving on until the shutdown delay ends", "delay", d)
		select {
		case <-time.After(d):
		case runErr = <-errc:
		}
	}

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		grpcServer.GracefulStop()
		close(done)
	}()
	if err := restServer.Shutdown(sctx); err != nil {
		log.Warn("REST requests did not finish in time", "err", err)
	}
	if err := otlpServer.Shutdown(sctx); err != nil {
		log.Warn("OTLP/HTTP requests did not finish in time", "err", err)
	}
	select {
	case <-done:
	case <-sctx.Done():
		log.Warn("OTLP/gRPC requests did not finish in time")
		grpcServer.Stop()
		<-done
	}
	// Closing flushes buffered rows to Parquet, which can take seconds after heavy ingest.
	log.Info("requests drained, closing store")
	closeStart := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- closeStore() }()
	select {
	case err := <-closed:
		if err != nil {
			return errors.Join(runErr, err)
		}
	case <-time.After(storeCloseTimeout):
		// A store stuck behind a query that ignores its deadline must not keep the process
		// alive after SIGTERM: everything acknowledged is already in the write-ahead log, which
		// the next start replays, exactly as after SIGKILL.
		log.Error("the store did not close in time; exiting without it (acknowledged data is replayed from the write-ahead log at the next start)",
			"timeout", storeCloseTimeout)
		return errors.Join(runErr, fmt.Errorf("cannot close store: not done after %s", storeCloseTimeout))
	}
	log.Info("stopped", "store_close", time.Since(closeStart).Round(time.Millisecond))
	return runErr
}

func openStore(opts config.Options, log *slog.Logger, reg prometheus.Registerer) (store.Store, error) {
	switch opts.Storage {
	case config.StorageEmbedded:
		eo := embedded.DefaultOptions(opts.DataDir)
		eo.Logger, eo.Registerer = log, reg
		eo.MaxQueryRows = opts.QueryMaxRows
		st, err := embedded.Open(eo)
		if err != nil {
			return nil, fmt.Errorf("cannot open embedded store in %s: %w", opts.DataDir, err)
		}
		return st, nil
	case config.StorageClickHouse:
		co, err := clickhouse.OptionsFromEnv(os.LookupEnv)
		if err != nil {
			return nil, fmt.Errorf("cannot open clickhouse store: %w", err)
		}
		co.Logger, co.QueryMaxRows, co.QueryTimeout = log, opts.QueryMaxRows, opts.QueryTimeout
		// Connecting and applying the schema migrations; another ingestor may hold the
		// migration lock, and Open waits for it within its own bound.
		ctx, cancel := context.WithTimeout(context.Background(), co.MigrationLockWait+time.Minute)
		defer cancel()
		st, err := clickhouse.Open(ctx, co)
		if err != nil {
			return nil, fmt.Errorf("cannot open clickhouse store at %s: %w", co.Addr, err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("cannot open store: unknown HEIMSIGHT_STORAGE %q", opts.Storage)
}

func newHTTPServer(h http.Handler, writeTimeout time.Duration, log *slog.Logger, tlsConfig *tls.Config) *http.Server {
	return &http.Server{
		TLSConfig:         tlsConfig,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

func serveHTTP(name string, s *http.Server, l net.Listener, useTLS bool) error {
	serve := s.Serve
	if useTLS {
		// The certificate is in s.TLSConfig; ServeTLS adds HTTP/2 (ALPN) to it.
		serve = func(l net.Listener) error { return s.ServeTLS(l, "", "") }
	}
	if err := serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("cannot serve %s: %w", name, err)
	}
	return nil
}
