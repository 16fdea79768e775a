#!/usr/bin/env bash
# A self-signed certificate for local use: nginx/certs/tls.crt and tls.key (never committed).
# Usage: nginx/make-cert.sh [hostname] [dir]   (defaults: localhost, nginx/certs)
set -euo pipefail
host="${1:-localhost}"
dir="${2:-$(dirname "$0")/certs}"
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -sha256 -days 825 -nodes \
  -keyout "$dir/tls.key" -out "$dir/tls.crt" \
  -subj "/CN=$host" \
  -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
chmod 600 "$dir/tls.key"
echo "Wrote $dir/tls.crt and $dir/tls.key for $host"
