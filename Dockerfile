# One image: berth-controller (/manager), berth-registry (/registry), and the client tools
# users copy out (/kubectl-berth, /docker-credential-berth).
# CI runs the build stage's commands on exactly what it copies (`make docker-check`,
# hack/check-dockerfile.sh), so this file cannot rot where no image builder runs.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/
COPY registry/ registry/
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/ ./cmd/...

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /
USER 65532:65532
ENTRYPOINT ["/manager"]
