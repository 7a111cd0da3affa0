# syntax=docker/dockerfile:1
# The heimsight binary. cgo is required: the embedded store links DuckDB. Both stages are
# Debian bookworm so the binary finds the same glibc and libstdc++ it was built against.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# Only the Go sources the binary is built from, so the plugin's node_modules never reach a layer.
COPY pkg ./pkg
COPY ingestor ./ingestor
COPY schema ./schema
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -tags duckdb_arrow -trimpath -ldflags "-s -w" -o /out/heimsight ./ingestor/cmd/heimsight

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libstdc++6 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/heimsight --create-home heimsight
COPY --from=build /out/heimsight /usr/local/bin/heimsight
USER heimsight
WORKDIR /var/lib/heimsight
# Used by HEIMSIGHT_STORAGE=embedded; mount a volume here to keep the data.
ENV HEIMSIGHT_DATA_DIR=/var/lib/heimsight/data
EXPOSE 8080 4317 4318
ENTRYPOINT ["heimsight"]
CMD ["serve"]
