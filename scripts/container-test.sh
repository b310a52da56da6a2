#!/usr/bin/env bash
# Builds the project's Dockerfile with Debian's podman (no Docker daemon and no registry on these machines), runs
# the image against the CI Postgres and checks what README "Deploy → Docker" promises, then removes what it made.
# A step of .ci/run; a developer runs it as root (podman runs rootful here): sudo bash scripts/container-test.sh
# TEST_DATABASE_URL names the Postgres (default postgresql://postgres@127.0.0.1:5432/postgres); the script works in
# a database of its own there, created and dropped here.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly RUN_ID="ct$$"
readonly IMAGE="localhost/edgeline:$RUN_ID"
readonly DATABASE="edgeline_container_$RUN_ID"
readonly SERVER_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
# Databases are created and dropped from the server's maintenance database.
readonly ADMIN_URL="${SERVER_URL%/*}/postgres"
# The Postgres the container sees: by a name that is not "localhost", as a remote host (RDS, your own) would be,
# so the server neither migrates by itself nor makes a token secret of its own, as in a real deployment.
readonly DATABASE_URL="$(node -e 'const u = new URL(process.argv[1]); u.hostname = "db.internal"; u.pathname = "/" + process.argv[2]; console.log(u.href)' "$SERVER_URL" "$DATABASE")"
readonly DB_HOST_IP="$(node -e 'console.log(new URL(process.argv[1]).hostname.replace(/^localhost$/, "127.0.0.1"))' "$SERVER_URL")"
readonly JWT_SECRET="container-test-secret-$(node -e 'console.log(require("node:crypto").randomBytes(24).toString("base64url"))')"

started=$SECONDS
step() { printf '\n--- %s (%ss)\n' "$1" "$((SECONDS - started))"; }
pass() { printf '✓ %s\n' "$1"; }
fail() { printf '✗ %s\n' "$1" >&2; exit 1; }
psql_admin() { psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -qAtc "$1"; }
free_port() { node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })'; }
# Every run of the image as production would run it: read-only with no writable tmpfs at all (Docker's --read-only;
# podman would add some), no capabilities, no privilege escalation, Postgres reached on the host network. The
# HEALTHCHECK stays, run on demand below: podman's timer for it would need systemd, which these machines lack.
run_image() {
  podman run --pull=never --network=host --add-host="db.internal:$DB_HOST_IP" --health-interval=disable \
    --read-only --read-only-tmpfs=false --cap-drop=all --security-opt=no-new-privileges "$@"
}

cleanup() {
  local status=$?
  set +e
  podman rm --force --ignore --time 0 "$RUN_ID-server" "$RUN_ID-embedded" >/dev/null 2>&1
  podman volume rm --force "$RUN_ID-data" >/dev/null 2>&1
  podman rmi --force "$IMAGE" >/dev/null 2>&1
  psql_admin "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null 2>&1
  exit "$status"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || fail "run as root: sudo bash $0 (it installs packages and runs podman rootful)"

step "podman, runc, catatonit, mmdebstrap (Debian packages) and containers.conf"
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v mmdebstrap >/dev/null \
  || ! command -v curl >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  packages=(podman runc catatonit mmdebstrap curl)
  apt-get install -y -qq "${packages[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null; }
fi
# Without it no container starts here, not even a build step: root cannot raise the hard limits podman asks for by
# default, and the cgroups are a v1+v2 hybrid that crun refuses (runc accepts it). A file already there is kept.
if [ ! -f /etc/containers/containers.conf ]; then
  tee /etc/containers/containers.conf >/dev/null <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
fi
podman --version

step "base images from Debian packages and the npm registry, under the Dockerfile's FROM names"
container/make-base-images.sh
for base in node:22-bookworm-slim debian:bookworm-slim; do
  grep -q "^FROM $base\b" Dockerfile || fail "the Dockerfile no longer starts FROM $base: update container/make-base-images.sh"
done

step "podman build (the Dockerfile as docker build reads it; this machine's CA bundle and npm cache lent to it)"
# Lent from here, never written into the Dockerfile: the CA bundle of this network's TLS proxy, and npm's cache
# (filled by .ci/run's own npm ci) so that npm ci in the build downloads nothing it has. Docker's image format:
# OCI images have no HEALTHCHECK.
npmrc=$(mktemp)
printf 'prefer-offline=true\n' >"$npmrc"
npm_cache="${HOME:-/root}/.npm"
mkdir -p "$npm_cache"
build_started=$SECONDS
podman build --pull=never --format docker --layers=false --force-rm --tag "$IMAGE" \
  --volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
  --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  --volume "$npm_cache:/root/.npm" --volume "$npmrc:/root/.npmrc:ro" \
  . >"${TMPDIR:-/tmp}/edgeline-$RUN_ID-build.log" 2>&1 \
  || { tail -n 40 "${TMPDIR:-/tmp}/edgeline-$RUN_ID-build.log"; fail "podman build failed"; }
rm -f "$npmrc" "${TMPDIR:-/tmp}/edgeline-$RUN_ID-build.log"
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
pass "built in $((SECONDS - build_started)) s; image size $((size / 1000000)) MB ($((size / 1048576)) MiB) uncompressed"

step "with neither DATABASE_URL nor a volume, or without a token secret, it refuses to start and says why"
set +e
refusal=$(run_image --rm "$IMAGE" 2>&1)
code=$?
set -e
[ "$code" = 78 ] || fail "expected exit 78 with no DATABASE_URL, got $code: $refusal"
grep -q "DATABASE_URL is not set" <<<"$refusal" || fail "the refusal does not name DATABASE_URL: $refusal"
pass "exit 78: $(grep -m 1 '^✗' <<<"$refusal")"
set +e
refusal=$(run_image --rm -e DATABASE_URL="$DATABASE_URL" "$IMAGE" 2>&1)
code=$?
set -e
[ "$code" = 78 ] && grep -q "JWT_SECRET (or JWKS_URL) is not set" <<<"$refusal" \
  || fail "expected exit 78 naming JWT_SECRET with a DATABASE_URL but no secret, got $code: $refusal"
pass "exit 78 without a token secret: $(grep -m 1 '^✗' <<<"$refusal")"

step "migrate (docker run … edgeline migrate) into a new database"
psql_admin "CREATE DATABASE $DATABASE"
run_image --rm -e DATABASE_URL="$DATABASE_URL" "$IMAGE" migrate
tables=$(psql "${SERVER_URL%/*}/$DATABASE" -qAtc "SELECT count(*) FROM pg_tables WHERE tablename = 'users'")
[ "$tables" = 1 ] || fail "migrate left no users table in $DATABASE"
pass "the migrations created the tables"

step "serving: health, sign-up, an authenticated call and a page, through the container"
port=$(free_port)
base="http://127.0.0.1:$port"
run_image --detach --name "$RUN_ID-server" \
  -e DATABASE_URL="$DATABASE_URL" -e JWT_SECRET="$JWT_SECRET" -e PORT="$port" "$IMAGE" >/dev/null
run_started=$SECONDS
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/health")" = 200 ]; do
  [ "$(podman inspect --format '{{.State.Running}}' "$RUN_ID-server")" = true ] \
    || { podman logs "$RUN_ID-server"; fail "the container stopped before it was healthy"; }
  [ $((SECONDS - run_started)) -lt 60 ] || { podman logs "$RUN_ID-server"; fail "no 200 from /api/health in 60 s"; }
  sleep 0.2
done
pass "GET /api/health 200, $((SECONDS - run_started)) s after podman run"
podman healthcheck run "$RUN_ID-server" >/dev/null 2>&1 || fail "the image's HEALTHCHECK reports unhealthy"
pass "the image's HEALTHCHECK passes"

email="container-$RUN_ID@example.com"
session=$(curl -sS --fail-with-body -X POST "$base/api/auth/signup" -H 'Content-Type: application/json' \
  -d "{\"name\":\"Container Test\",\"email\":\"$email\",\"password\":\"correct horse battery\"}") \
  || fail "sign-up failed: $session"
token=$(node -e 'console.log(JSON.parse(process.argv[1]).accessToken)' "$session")
pass "POST /api/auth/signup 201"
me=$(curl -sS --fail-with-body "$base/api/auth/me" -H "Authorization: Bearer $token") || fail "GET /api/auth/me: $me"
grep -q "\"email\":\"$email\"" <<<"$me" || fail "GET /api/auth/me did not answer the new account: $me"
pass "GET /api/auth/me 200 with the bearer token: the new account"
page=$(curl -sS --fail-with-body "$base/account" -H "Cookie: __Host-edgeline_session=$token") || fail "GET /account failed"
grep -q "$email" <<<"$page" && grep -q '<h1>Your account</h1>' <<<"$page" || fail "the account page did not render"
pass "GET /account renders the account page (Next in the container, the session cookie, the database)"
docs=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/docs")
[ "$docs" = 200 ] || fail "GET /api/docs answered $docs"
pass "GET /api/docs 200"

step "who and where it runs: a non-root user, PID 1, a read-only root file system"
host_pid=$(podman inspect --format '{{.State.Pid}}' "$RUN_ID-server")
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$host_pid/status")
[ "$uids" = "10001 10001 10001 10001" ] || fail "the server runs as uid $uids, not 10001"
pass "the server process runs as uid 10001 (real, effective, saved, file system)"
ns_pid=$(awk '/^NSpid:/ { print $NF }' "/proc/$host_pid/status")
[ "$ns_pid" = 1 ] && [ "$(cat "/proc/$host_pid/comm")" = node ] || fail "PID 1 of the container is not node"
pass "node is PID 1 of the container: the stop signal goes to the server itself"
for path in /app/probe /tmp/probe; do
  if podman exec "$RUN_ID-server" node -e "require('node:fs').writeFileSync('$path', '')" 2>/dev/null; then
    fail "$path is writable: the container is not read-only"
  fi
done
pass "nothing is writable, not even /tmp, and it serves all the same"

step "podman stop: drains, exits 0, well inside the 10 s before a kill"
stop_started=$(date +%s%N)
podman stop --time 10 "$RUN_ID-server" >/dev/null
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$RUN_ID-server")
[ "$exit_code" = 0 ] || { podman logs "$RUN_ID-server" | tail -n 5; fail "exit code $exit_code after podman stop"; }
[ "$stop_ms" -lt 10000 ] || fail "podman stop took $stop_ms ms: the signal was not handled"
podman logs "$RUN_ID-server" 2>&1 | grep -q '✓ stopped' || fail "the server did not say it stopped"
pass "exit 0 in $stop_ms ms"

step "no DATABASE_URL, a named volume at /app/.data: the embedded database, kept in the volume"
podman volume create "$RUN_ID-data" >/dev/null
port=$(free_port)
run_image --detach --name "$RUN_ID-embedded" --volume "$RUN_ID-data:/app/.data" -e PORT="$port" "$IMAGE" >/dev/null
run_started=$SECONDS
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/health")" = 200 ]; do
  [ "$(podman inspect --format '{{.State.Running}}' "$RUN_ID-embedded")" = true ] \
    || { podman logs "$RUN_ID-embedded"; fail "the embedded container stopped before it was healthy"; }
  [ $((SECONDS - run_started)) -lt 120 ] || { podman logs "$RUN_ID-embedded"; fail "no 200 in 120 s"; }
  sleep 0.5
done
# The banner is printed once the server listens, so it may reach the container's log just after the first 200.
banner_seen=false
for _ in $(seq 1 40); do
  if podman logs "$RUN_ID-embedded" 2>&1 | grep -q 'embedded PGlite'; then banner_seen=true; break; fi
  sleep 0.25
done
[ "$banner_seen" = true ] || { podman logs "$RUN_ID-embedded"; fail "it did not serve the embedded database"; }
volume_files=$(podman run --rm --pull=never --volume "$RUN_ID-data:/data:ro" --entrypoint ls "$IMAGE" /data)
grep -q pglite <<<"$volume_files" && grep -q jwt-secret <<<"$volume_files" \
  || fail "the volume does not hold the database and the token secret: $volume_files"
podman stop --time 10 "$RUN_ID-embedded" >/dev/null
[ "$(podman inspect --format '{{.State.ExitCode}}' "$RUN_ID-embedded")" = 0 ] || fail "the embedded container did not exit 0"
pass "healthy $((SECONDS - run_started)) s after podman run; the database and its token secret are in the volume"

step "done: the image, its containers, volume and database are removed (base images kept as a cache)"
pass "container checks passed in $((SECONDS - started)) s; image $((size / 1000000)) MB"
