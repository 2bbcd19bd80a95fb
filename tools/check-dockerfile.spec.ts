import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// No Docker engine here: this reads the Dockerfile and the build script for what the deployment
// relies on.

const repoRoot = join(__dirname, '..');
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);
const runtime = stages.find((s) => /^\S+ AS runtime$/m.test(s)) ?? '';

describe('Dockerfile', () => {
  it('pins the base image by digest', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    for (const stage of stages) expect(stage).toMatch(/^(\$\{NODE_IMAGE\}|base) AS [a-z-]+\n/);
  });

  it('builds in stages and ships only the service, its libs and production dependencies', () => {
    expect(stages.map((s) => s.split('\n')[0].split(' AS ')[1])).toEqual([
      'base',
      'manifests',
      'prod-deps',
      'build',
      'runtime',
    ]);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(runtime.match(/^COPY .*$/gm)).toEqual([
      'COPY --from=prod-deps /app/node_modules ./node_modules',
      'COPY --from=manifests /app/libs ./libs',
      'COPY --from=build /app/dist/libs ./dist/libs',
      'COPY --from=build /app/dist/services/${SERVICE} ./dist/services/${SERVICE}',
    ]);
  });

  it('takes the service as a build argument and refuses an unknown one', () => {
    expect(runtime).toMatch(/^ARG SERVICE$/m);
    expect(runtime).toContain('gateway|bookings|referrals|wallet|payouts) ;;');
    expect(runtime).toMatch(
      /^CMD \["node", "--require", "\.\/dist\/libs\/service-kit\/src\/tracing\/preload\.js", "main\.js"\]$/m,
    );
  });

  it('runs as a numeric non-root user and writes nothing at runtime', () => {
    expect(runtime).toMatch(/^USER 1000:1000$/m);
    const afterUser = runtime.slice(runtime.indexOf('USER 1000:1000'));
    expect(afterUser).not.toMatch(/^(RUN|COPY|ADD) /m);
  });
});

describe('deploy/docker/build-images.sh', () => {
  const script = join(repoRoot, 'deploy/docker/build-images.sh');

  it('builds every service from the one Dockerfile', () => {
    const text = readFileSync(script, 'utf8');
    expect(text).toContain('services=(gateway bookings referrals wallet payouts)');
    expect(text).toContain('docker build --build-arg "SERVICE=$service"');
  });

  it('refuses the latest tag', () => {
    expect(() => execFileSync('bash', [script, 'latest'], { stdio: 'pipe' })).toThrow(
      /refusing the tag 'latest'/,
    );
  });
});
