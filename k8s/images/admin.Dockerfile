# syntax=docker/dockerfile:1
# `mcp-gateway-admin` (crates/gateway-admin), run by the migration Job as `mcp-gateway-admin migrate`
# with DATABASE_URL from the Secret. Build from the repository root:
#   docker build -f k8s/images/admin.Dockerfile -t <registry>/mcp-gateway-admin:<tag> .

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p gateway-admin \
    && install -D target/release/mcp-gateway-admin /out/mcp-gateway-admin

# distroless/cc: glibc, libgcc and CA certificates (sslmode=require), no shell; user 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/mcp-gateway-admin /usr/local/bin/mcp-gateway-admin
USER 65532:65532
ENTRYPOINT ["mcp-gateway-admin"]
CMD ["migrate"]
