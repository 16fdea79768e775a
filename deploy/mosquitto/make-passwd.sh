#!/usr/bin/env bash
# Writes mosquitto's password file and ACL for docker compose from the environment, so the broker
# enforces what the api's embedded broker enforces on a laptop (DESIGN.md section 8):
#   - line-monitor-api  (MQTT_PASSWORD): reads everything (incl. $share/...), publishes anything
#   - healthcheck       (MQTT_HEALTHCHECK_PASSWORD): reads $SYS/broker/uptime only
#   - devices           publish only under their own line: plant/lines/{id}/...
# Devices come from MQTT_DEVICES_FILE (lines `username:password:line_ids`, line_ids comma-separated or
# `*`; the api reads the same format) and/or MQTT_DEVICE_USERNAME + MQTT_DEVICE_PASSWORD
# (+ MQTT_DEVICE_LINES, default `*`). A `*` device may publish under any line (one shared account for a
# gateway); it gets no subscriptions here, since mosquitto cannot tell `plant/lines/+/...` (every line)
# from one line spelt out.
#
# Usage: MQTT_PASSWORD=... MQTT_HEALTHCHECK_PASSWORD=... MQTT_DEVICES_FILE=devices deploy/mosquitto/make-passwd.sh [out_dir]
# Passwords are hashed by mosquitto_passwd (Debian: apt-get install mosquitto), or by the
# eclipse-mosquitto image through docker when it is not installed.
set -euo pipefail

out_dir="${1:-$(cd "$(dirname "$0")" && pwd)}"
passwd_file="$out_dir/passwd"
acl_file="$out_dir/acl"
line_id_re='^[A-Za-z0-9_-]{1,64}$'

die() { echo "make-passwd.sh: $*" >&2; exit 2; }
[[ -n "${MQTT_PASSWORD:-}" ]] || die "MQTT_PASSWORD (the api's broker password) is required"
[[ -n "${MQTT_HEALTHCHECK_PASSWORD:-}" ]] || die "MQTT_HEALTHCHECK_PASSWORD is required"

# username password lines, one per line
users=()
users+=("line-monitor-api	$MQTT_PASSWORD	@service")
users+=("healthcheck	$MQTT_HEALTHCHECK_PASSWORD	@healthcheck")
if [[ -n "${MQTT_DEVICE_USERNAME:-}" || -n "${MQTT_DEVICE_PASSWORD:-}" ]]; then
  [[ -n "${MQTT_DEVICE_USERNAME:-}" && -n "${MQTT_DEVICE_PASSWORD:-}" ]] || die "MQTT_DEVICE_USERNAME and MQTT_DEVICE_PASSWORD go together"
  users+=("$MQTT_DEVICE_USERNAME	$MQTT_DEVICE_PASSWORD	${MQTT_DEVICE_LINES:-*}")
fi
if [[ -n "${MQTT_DEVICES_FILE:-}" ]]; then
  [[ -r "$MQTT_DEVICES_FILE" ]] || die "cannot read MQTT_DEVICES_FILE $MQTT_DEVICES_FILE"
  n=0
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    line="${line#"${line%%[![:space:]]*}"}"
    [[ -z "$line" || "$line" == \#* ]] && continue
    IFS=: read -r u p l <<<"$line"
    [[ -n "$u" && -n "$p" && -n "$l" ]] || die "$MQTT_DEVICES_FILE line $n: expected username:password:line_ids"
    users+=("$u	$p	$l")
  done <"$MQTT_DEVICES_FILE"
fi
[[ ${#users[@]} -gt 2 ]] || die "no device credentials: set MQTT_DEVICES_FILE or MQTT_DEVICE_USERNAME/MQTT_DEVICE_PASSWORD"

if command -v mosquitto_passwd >/dev/null; then
  hash_cmd=(mosquitto_passwd)
  hash_dir="$out_dir"
elif command -v docker >/dev/null; then
  hash_cmd=(docker run --rm -u "$(id -u):$(id -g)" -v "$out_dir:/work" eclipse-mosquitto:2.0.20 mosquitto_passwd)
  hash_dir=/work
else
  die "needs mosquitto_passwd (apt-get install mosquitto) or docker"
fi

tmp_passwd="$passwd_file.tmp.$$"
tmp_acl="$acl_file.tmp.$$"
trap 'rm -f "$tmp_passwd" "$tmp_acl"' EXIT
: >"$tmp_passwd"
{
  echo "# Written by deploy/mosquitto/make-passwd.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Do not edit: run it again."
  echo "# Anything not granted here is refused (allow_anonymous false in mosquitto.conf)."
} >"$tmp_acl"

declare -A seen=()
for entry in "${users[@]}"; do
  IFS=$'\t' read -r u p l <<<"$entry"
  [[ "$u" != *:* && "$u" != *' '* ]] || die "username \"$u\": no colons or spaces"
  [[ -z "${seen[$u]:-}" ]] || die "username \"$u\" appears twice"
  seen[$u]=1
  "${hash_cmd[@]}" -b "$hash_dir/$(basename "$tmp_passwd")" "$u" "$p" >/dev/null
  echo >>"$tmp_acl"
  echo "user $u" >>"$tmp_acl"
  case "$l" in
    @service)
      echo "topic readwrite #" >>"$tmp_acl"
      # Shared subscriptions (several api instances share ingest).
      echo "topic read \$share/#" >>"$tmp_acl"
      ;;
    @healthcheck)
      echo "topic read \$SYS/broker/uptime" >>"$tmp_acl"
      ;;
    *)
      IFS=, read -r -a lines <<<"$l"
      for id in "${lines[@]}"; do
        id="${id// /}"
        if [[ "$id" == '*' ]]; then
          echo "topic write plant/lines/+/telemetry" >>"$tmp_acl"
          echo "topic write plant/lines/+/status" >>"$tmp_acl"
        else
          [[ "$id" =~ $line_id_re ]] || die "device $u: line id \"$id\" is not valid"
          echo "topic write plant/lines/$id/#" >>"$tmp_acl"
          echo "topic read plant/lines/$id/#" >>"$tmp_acl"
        fi
      done
      ;;
  esac
done

chmod 640 "$tmp_passwd" "$tmp_acl"
mv "$tmp_passwd" "$passwd_file"
mv "$tmp_acl" "$acl_file"
trap - EXIT
echo "wrote $passwd_file ($(wc -l <"$passwd_file") users) and $acl_file"
echo "mosquitto runs as uid 1883 in docker compose: chown 1883 $passwd_file $acl_file (or chmod 644) so it can read them."
