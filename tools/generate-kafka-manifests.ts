// Writes the KafkaTopics (deploy/k8s/base/kafka-topics) and KafkaUsers (deploy/k8s/overlays/prod)
// from libs/contracts: `npm run generate:kafka-manifests`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderKafkaManifestFiles } from './k8s/kafka-manifest-files';
import { findRepoRoot } from './local/repo-root';

for (const [path, text] of Object.entries(renderKafkaManifestFiles())) {
  writeFileSync(join(findRepoRoot(), path), text);
  console.log(`wrote ${path}`);
}
