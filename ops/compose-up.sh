#!/bin/sh
# One command for the container stack: writes .env on the first run (a fresh key-encryption key
# and database passwords (the superuser's, the service's), owner-readable only, never committed), then `docker compose up --build`.
# Extra arguments go to compose, e.g. `ops/compose-up.sh -d --wait`.
set -eu
cd "$(dirname "$0")/.."

# 32 random bytes as unpadded base64url: the form KEY_ENCRYPTION_KEY and a URL password accept.
random_b64url() { head -c "$1" /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

if [ ! -f .env ]; then
  # The first server start records the origin for good (a later change is refused until
  # `launchproof origin set`): it is asked for, never guessed.
  : "${PUBLIC_URL:?set PUBLIC_URL to the https origin your proxy serves, e.g. PUBLIC_URL=https://issuer.example.com ops/compose-up.sh}"
  umask 077
  {
    echo "# Written by ops/compose-up.sh. Keep a copy of KEY_ENCRYPTION_KEY somewhere safe: without it"
    echo "# the signing keys in the database cannot be decrypted."
    echo "PUBLIC_URL=$PUBLIC_URL"
    echo "KEY_ENCRYPTION_KEY=$(random_b64url 32)"
    echo "POSTGRES_PASSWORD=$(random_b64url 24)"
    echo "LAUNCHPROOF_DB_PASSWORD=$(random_b64url 24)"
  } > .env
  echo "wrote .env (mode 600): PUBLIC_URL, KEY_ENCRYPTION_KEY, POSTGRES_PASSWORD, LAUNCHPROOF_DB_PASSWORD" >&2
fi
exec docker compose up --build "$@"
