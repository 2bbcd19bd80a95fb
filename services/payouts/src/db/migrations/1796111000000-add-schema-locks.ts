import { MESSAGING_TABLES_V3_DOWN, MESSAGING_TABLES_V3_UP } from '@rewards/messaging';
import { MigrationInterface, QueryRunner } from 'typeorm';

/** Leader locks as rows of this schema, which no other service's role can reach. */
export class AddSchemaLocks1796111000000 implements MigrationInterface {
  name = 'AddSchemaLocks1796111000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(MESSAGING_TABLES_V3_UP);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(MESSAGING_TABLES_V3_DOWN);
  }
}
