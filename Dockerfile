# Multi-stage build of cloudflow-emulator. Configure it with the CLOUDFLOW_* environment
# variables (see README.md); it listens on 0.0.0.0:8080 inside the container.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# Cargo.toml names the criterion benches; cargo wants their files present.
COPY benches ./benches
RUN cargo build --release --locked --bin cloudflow-emulator

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home cloudflow
COPY --from=build /src/target/release/cloudflow-emulator /usr/local/bin/cloudflow-emulator
USER cloudflow
ENV CLOUDFLOW_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/cloudflow-emulator"]
