import { MigrationInterface, QueryRunner } from 'typeorm';

export class AllowClicksWithoutDevice1796130000000 implements MigrationInterface {
  name = 'AllowClicksWithoutDevice1796130000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- A click recorded at signup from its cookie's signed token (its replica never wrote it)
      -- knows the signup's device only when the signup sent one.
      ALTER TABLE clicks ALTER COLUMN device_hash DROP NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM clicks WHERE device_hash IS NULL;
      ALTER TABLE clicks ALTER COLUMN device_hash SET NOT NULL;
    `);
  }
}
