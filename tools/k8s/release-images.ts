// Images of a release pinned by digest. The overlays name images by tag (`rewards/wallet:0.1.0`,
// `postgres:17`); a release build records where each image was pushed and its digest
// (deploy/docker/build-images.sh writes that file), and renderRelease applies those pins with
// kustomize's own image transformer. A tag can be pushed again; a digest names one image forever.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { isRecord, K8sObject, kustomize, parseObjects } from './render-manifests';

export type ReleaseImagesErrorCode =
  'IMAGE_PINS_UNREADABLE' | 'IMAGE_PINS_INVALID' | 'IMAGE_PIN_UNUSED' | 'TAG_ONLY_IMAGE';

export class ReleaseImagesError extends Error {
  constructor(
    readonly code: ReleaseImagesErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'ReleaseImagesError';
  }
}

/** One image as the manifests name it (no tag), where the release put it, and its digest. */
export interface ImagePin {
  name: string;
  /** The registry repository the image was pushed to; the manifests' name when absent. */
  newName?: string;
  digest: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
// A repository reference without tag or digest: lower-case path parts, optional registry host.
const REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const PINNED = /@sha256:[0-9a-f]{64}$/;

/** Parses the build output: `{"images": [{"name", "newName"?, "digest"}]}`, strictly. */
export function parseImagePins(text: string, source = 'image pins'): ImagePin[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ReleaseImagesError('IMAGE_PINS_INVALID', `${source} is not JSON: ${String(err)}`);
  }
  const invalid = (why: string) =>
    new ReleaseImagesError('IMAGE_PINS_INVALID', `${source}: ${why}`);
  if (!isRecord(parsed) || !Array.isArray(parsed.images))
    throw invalid('expected {"images": [...]}');
  const extra = Object.keys(parsed).filter((k) => k !== 'images');
  if (extra.length > 0) throw invalid(`unknown field ${extra.join(', ')}`);
  const pins: ImagePin[] = [];
  for (const [i, entry] of parsed.images.entries()) {
    if (!isRecord(entry)) throw invalid(`images[${i}] is not an object`);
    const unknown = Object.keys(entry).filter((k) => !['name', 'newName', 'digest'].includes(k));
    if (unknown.length > 0) throw invalid(`images[${i}]: unknown field ${unknown.join(', ')}`);
    const { name, newName, digest } = entry;
    if (typeof name !== 'string' || !REPOSITORY.test(name)) {
      throw invalid(
        `images[${i}].name must be an image name without tag, got ${JSON.stringify(name)}`,
      );
    }
    if (newName !== undefined && (typeof newName !== 'string' || !REPOSITORY.test(newName))) {
      throw invalid(
        `images[${i}].newName must be an image name without tag, got ${JSON.stringify(newName)}`,
      );
    }
    if (typeof digest !== 'string' || !DIGEST.test(digest)) {
      throw invalid(`images[${i}].digest must be sha256:<64 hex>, got ${JSON.stringify(digest)}`);
    }
    if (pins.some((p) => p.name === name)) throw invalid(`${name} is pinned twice`);
    pins.push({ name, ...(newName === undefined ? {} : { newName }), digest });
  }
  return pins;
}

export function readImagePins(path: string): ImagePin[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ReleaseImagesError('IMAGE_PINS_UNREADABLE', `cannot read ${path}: ${String(err)}`);
  }
  return parseImagePins(text, path);
}

interface PodSpecLike {
  containers?: Array<{ name?: string; image?: string }>;
  initContainers?: Array<{ name?: string; image?: string }>;
}

interface WithTemplate {
  template?: { spec?: PodSpecLike };
}

function podSpecOf(obj: K8sObject): PodSpecLike | undefined {
  switch (obj.kind) {
    case 'Pod':
      return obj.spec as PodSpecLike | undefined;
    case 'CronJob':
      return (obj.spec as { jobTemplate?: { spec?: WithTemplate } } | undefined)?.jobTemplate?.spec
        ?.template?.spec;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return (obj.spec as WithTemplate | undefined)?.template?.spec;
    default:
      return undefined;
  }
}

/** Every image the objects run: pod containers, and CloudNativePG's `Cluster.spec.imageName`. */
export function imageReferences(objects: K8sObject[]): Array<{ where: string; image: string }> {
  const refs: Array<{ where: string; image: string }> = [];
  for (const obj of objects) {
    const at = `${obj.kind}/${obj.metadata.name}`;
    const pod = podSpecOf(obj);
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      if (typeof c.image === 'string')
        refs.push({ where: `${at} ${c.name ?? ''}`, image: c.image });
    }
    const imageName = (obj.spec as { imageName?: unknown } | undefined)?.imageName;
    if (obj.kind === 'Cluster' && typeof imageName === 'string') {
      refs.push({ where: `${at} imageName`, image: imageName });
    }
  }
  return refs;
}

/** The images named by tag only, which a registry could change under the same name. */
export function tagOnlyImages(objects: K8sObject[]): Array<{ where: string; image: string }> {
  return imageReferences(objects).filter((r) => !PINNED.test(r.image));
}

/** Refuses rendered manifests that run any image not pinned by digest. */
export function assertPinned(objects: K8sObject[], what: string): void {
  const loose = tagOnlyImages(objects);
  if (loose.length === 0) return;
  throw new ReleaseImagesError(
    'TAG_ONLY_IMAGE',
    `${what} runs images by tag only; pin them by digest (deploy/docker/build-images.sh writes the pins):\n` +
      loose.map((r) => `  ${r.where}: ${r.image}`).join('\n'),
  );
}

const imageName = (image: string) => image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');

/**
 * Renders an overlay with every pinned image replaced by `<newName>@<digest>`: a kustomization
 * in a temporary folder that takes the overlay as its base. A pin of an image the overlay does
 * not run is refused (a typo would otherwise leave the real image unpinned).
 */
export function renderRelease(
  repoRoot: string,
  overlay: string,
  pins: ImagePin[],
): { yaml: string; objects: K8sObject[] } {
  const overlayDir = join(repoRoot, 'deploy/k8s/overlays', overlay);
  const used = new Set(
    imageReferences(parseObjects(kustomize(overlayDir))).map((r) => imageName(r.image)),
  );
  const unused = pins.filter((p) => !used.has(p.name)).map((p) => p.name);
  if (unused.length > 0) {
    throw new ReleaseImagesError(
      'IMAGE_PIN_UNUSED',
      `overlay ${overlay} runs no image named ${unused.join(', ')} (it runs ${[...used].sort().join(', ')})`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'rewards-release-'));
  try {
    // CloudNativePG's image is a field of its Cluster, which the image transformer must be told.
    writeFileSync(
      join(dir, 'image-fields.yaml'),
      stringify({ images: [{ kind: 'Cluster', path: 'spec/imageName' }] }),
    );
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        // kustomize refuses absolute paths; the overlay is reached relatively from here.
        resources: [relative(dir, overlayDir)],
        configurations: ['image-fields.yaml'],
        images: pins.map((p) => ({ name: p.name, newName: p.newName ?? p.name, digest: p.digest })),
      }),
    );
    const yaml = kustomize(dir);
    return { yaml, objects: parseObjects(yaml) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
