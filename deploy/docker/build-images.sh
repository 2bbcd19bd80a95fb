#!/usr/bin/env bash
# Builds every service's image from the one Dockerfile at the repository root.
#   deploy/docker/build-images.sh [tag]        tag defaults to the current commit (never `latest`)
# REGISTRY (default `rewards`) prefixes the names: $REGISTRY/<service>:<tag>. PUSH=true pushes,
# then writes the release's image pins (IMAGES_FILE, default dist/release-images.json): each
# service image's registry digest, and the digests of the third-party images the manifests run,
# for `npm run render:release -- prod --images <file>` (which refuses any image left on a tag).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
tag="${1:-$(git -C "$root" rev-parse --short=12 HEAD)}"
registry="${REGISTRY:-rewards}"
images_file="${IMAGES_FILE:-$root/dist/release-images.json}"
services=(gateway bookings referrals wallet payouts)
# Run by the manifests but not built here: the provisioning Job's psql, CloudNativePG's server.
third_party=(postgres:17 ghcr.io/cloudnative-pg/postgresql:17.5)

if [[ "$tag" == latest ]]; then
  echo "refusing the tag 'latest': deploy/k8s pins release tags" >&2
  exit 1
fi

# The digest the registry gave <repository>, from the local image's RepoDigests.
registry_digest() {
  local image="$1" repository="$2" found
  found="$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image" |
    grep -m1 "^$repository@sha256:" || true)"
  if [[ -z "$found" ]]; then
    echo "no registry digest of $image for $repository (was it pushed?)" >&2
    exit 1
  fi
  echo "${found#*@}"
}

pins=()
for service in "${services[@]}"; do
  image="$registry/$service:$tag"
  echo "building $image"
  docker build --build-arg "SERVICE=$service" --tag "$image" "$root"
  if [[ "${PUSH:-false}" == true ]]; then
    docker push "$image"
    pins+=("{\"name\":\"rewards/$service\",\"newName\":\"$registry/$service\",\"digest\":\"$(registry_digest "$image" "$registry/$service")\"}")
  fi
done

if [[ "${PUSH:-false}" == true ]]; then
  for image in "${third_party[@]}"; do
    docker pull "$image"
    repository="${image%:*}"
    pins+=("{\"name\":\"$repository\",\"digest\":\"$(registry_digest "$image" "$repository")\"}")
  done
  mkdir -p "$(dirname "$images_file")"
  (IFS=,; printf '{"images":[%s]}\n' "${pins[*]}") >"$images_file"
  echo "image pins written to $images_file"
fi
