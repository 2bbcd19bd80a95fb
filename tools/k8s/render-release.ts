// Renders an overlay for a release, every image pinned by digest, to stdout:
//   npm run render:release -- prod --images dist/release-images.json | kubectl apply -f -
// The image pins are the build output of deploy/docker/build-images.sh (PUSH=true), or
// RELEASE_IMAGES names the file. For prod, any image still named by tag only is refused.
import { join } from 'node:path';
import { assertPinned, readImagePins, ReleaseImagesError, renderRelease } from './release-images';

const USAGE =
  'usage: render-release <dev|prod> [--images <pins.json>] (or RELEASE_IMAGES=<pins.json>)';

function main(args: string[]): number {
  const [overlay, ...rest] = args;
  let pinsFile = process.env.RELEASE_IMAGES;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--images' && rest[i + 1] !== undefined) pinsFile = rest[++i];
    else {
      process.stderr.write(`unknown argument ${rest[i]}\n${USAGE}\n`);
      return 2;
    }
  }
  if (overlay !== 'dev' && overlay !== 'prod') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const repoRoot = join(__dirname, '../../..');
  try {
    const pins = pinsFile === undefined ? [] : readImagePins(pinsFile);
    const { yaml, objects } = renderRelease(repoRoot, overlay, pins);
    if (overlay === 'prod') assertPinned(objects, 'the prod overlay');
    process.stdout.write(yaml);
    return 0;
  } catch (err) {
    if (!(err instanceof ReleaseImagesError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
