import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderOverlay } from './k8s/render-manifests';
import {
  assertPinned,
  ImagePin,
  parseImagePins,
  readImagePins,
  ReleaseImagesError,
  renderRelease,
  tagOnlyImages,
} from './k8s/release-images';

// The prod overlay names images by tag; a release renders it with every image pinned by digest
// (tools/k8s/render-release.ts, from the build output of deploy/docker/build-images.sh), and
// refuses to render one that still runs an image by tag only.

const repoRoot = join(__dirname, '..');
const SERVICES = ['gateway', 'bookings', 'referrals', 'wallet', 'payouts'];
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const ALL_PINS: ImagePin[] = [
  ...SERVICES.map((s, i) => ({
    name: `rewards/${s}`,
    newName: `registry.example.com/rewards/${s}`,
    digest: digest(i + 1),
  })),
  { name: 'postgres', digest: digest(10) },
  { name: 'ghcr.io/cloudnative-pg/postgresql', digest: digest(11) },
];

function refusal(run: () => unknown): ReleaseImagesError {
  try {
    run();
  } catch (err) {
    if (err instanceof ReleaseImagesError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('release images', () => {
  it('refuses the prod overlay as committed: its images are named by tag only', () => {
    const loose = tagOnlyImages(renderOverlay(repoRoot, 'prod')).map((r) => r.image);
    expect(loose).toEqual(expect.arrayContaining(['rewards/wallet:0.1.0', 'postgres:17']));
    expect(refusal(() => assertPinned(renderOverlay(repoRoot, 'prod'), 'prod'))).toMatchObject({
      code: 'TAG_ONLY_IMAGE',
    });
  });

  it('renders prod with every image pinned by digest, the CNPG cluster image included', () => {
    const { objects, yaml } = renderRelease(repoRoot, 'prod', ALL_PINS);

    expect(tagOnlyImages(objects)).toEqual([]);
    expect(() => assertPinned(objects, 'prod')).not.toThrow();
    for (const [i, service] of SERVICES.entries()) {
      expect(yaml).toContain(`image: registry.example.com/rewards/${service}@${digest(i + 1)}`);
    }
    expect(yaml).toContain(`image: postgres@${digest(10)}`);
    expect(yaml).toContain(`imageName: ghcr.io/cloudnative-pg/postgresql@${digest(11)}`);
    expect(yaml).not.toMatch(/image: rewards\//);
  });

  it('refuses a release where one service is left on its tag, naming each place it runs', () => {
    const pins = ALL_PINS.filter((p) => p.name !== 'rewards/payouts');
    const error = refusal(() =>
      assertPinned(renderRelease(repoRoot, 'prod', pins).objects, 'prod'),
    );

    expect(error.code).toBe('TAG_ONLY_IMAGE');
    expect(error.message).toContain('Deployment/payouts payouts: rewards/payouts:0.1.0');
    expect(error.message).toContain('Deployment/payouts wait-for-migrations');
    expect(error.message).toContain('Job/payouts-migrate');
    expect(error.message).not.toContain('rewards/wallet');
  });

  it('refuses a pin of an image the overlay does not run (a typo would leave the real one loose)', () => {
    const pins = [...ALL_PINS, { name: 'rewards/walet', digest: digest(12) }];
    expect(refusal(() => renderRelease(repoRoot, 'prod', pins))).toMatchObject({
      code: 'IMAGE_PIN_UNUSED',
      message: expect.stringContaining('rewards/walet'),
    });
  });

  it('pins what deploy/docker/build-images.sh pushed: its build output renders prod fully pinned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'build-images-'));
    try {
      // A docker that builds and pushes nothing, and knows each image's registry digest.
      const docker = join(dir, 'docker');
      writeFileSync(
        docker,
        `#!/usr/bin/env bash
if [[ "$1 $2" == "image inspect" ]]; then
  image="\${@: -1}"
  echo "\${image%:*}@sha256:$(printf %s "$image" | sha256sum | cut -d' ' -f1)"
fi
`,
      );
      chmodSync(docker, 0o755);
      const pinsFile = join(dir, 'pins.json');
      execFileSync('bash', [join(repoRoot, 'deploy/docker/build-images.sh'), '1.2.3'], {
        env: {
          PATH: `${dir}:${process.env.PATH ?? ''}`,
          PUSH: 'true',
          REGISTRY: 'registry.example.com/rewards',
          IMAGES_FILE: pinsFile,
        },
        stdio: 'pipe',
      });
      const pins = readImagePins(pinsFile);
      expect(pins.map((p) => p.name).sort()).toEqual(
        [
          ...SERVICES.map((s) => `rewards/${s}`),
          'postgres',
          'ghcr.io/cloudnative-pg/postgresql',
        ].sort(),
      );
      const { objects, yaml } = renderRelease(repoRoot, 'prod', pins);
      expect(() => assertPinned(objects, 'prod')).not.toThrow();
      expect(yaml).toMatch(/image: registry\.example\.com\/rewards\/wallet@sha256:[0-9a-f]{64}$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['not JSON', '{images:'],
    ['no images list', '{"pins": []}'],
    ['an unknown field', '{"images": [], "tag": "x"}'],
    ['a short digest', '{"images": [{"name": "rewards/wallet", "digest": "sha256:abc"}]}'],
    ['a tag in the name', `{"images": [{"name": "rewards/wallet:1", "digest": "${digest(1)}"}]}`],
    [
      'the same image twice',
      `{"images": [{"name": "postgres", "digest": "${digest(1)}"}, {"name": "postgres", "digest": "${digest(2)}"}]}`,
    ],
  ])('refuses image pins with %s', (_what, text) => {
    expect(refusal(() => parseImagePins(text))).toMatchObject({ code: 'IMAGE_PINS_INVALID' });
  });

  it('reads the build output format', () => {
    expect(
      parseImagePins(
        JSON.stringify({
          images: [{ name: 'rewards/wallet', newName: 'r.example.com:5000/w', digest: digest(3) }],
        }),
      ),
    ).toEqual([{ name: 'rewards/wallet', newName: 'r.example.com:5000/w', digest: digest(3) }]);
  });
});
