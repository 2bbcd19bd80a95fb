// Writes deploy/sql/provision.sql from tools/local/provisioning-sql.ts, the one source of the
// services' roles and grants: `npm run generate:provision-sql`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_SERVICES } from './local/platform-env';
import { renderProvisionSql } from './local/provisioning-sql';
import { findRepoRoot } from './local/repo-root';

const target = join(findRepoRoot(), 'deploy/sql/provision.sql');
writeFileSync(target, renderProvisionSql(DATA_SERVICES));
console.log(`wrote ${target}`);
