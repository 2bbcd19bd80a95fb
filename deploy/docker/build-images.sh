#!/usr/bin/env bash
# Builds every service's image from the one Dockerfile at the repository root.
#   deploy/docker/build-images.sh [tag]        tag defaults to the current commit (never `latest`)
# REGISTRY (default `rewards`) prefixes the names: $REGISTRY/<service>:<tag>. PUSH=true pushes.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
tag="${1:-$(git -C "$root" rev-parse --short=12 HEAD)}"
registry="${REGISTRY:-rewards}"
services=(gateway bookings referrals wallet payouts)

if [[ "$tag" == latest ]]; then
  echo "refusing the tag 'latest': deploy/k8s pins release tags" >&2
  exit 1
fi

for service in "${services[@]}"; do
  image="$registry/$service:$tag"
  echo "building $image"
  docker build --build-arg "SERVICE=$service" --tag "$image" "$root"
  if [[ "${PUSH:-false}" == true ]]; then docker push "$image"; fi
done
