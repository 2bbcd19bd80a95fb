import { MigrationInterface, QueryRunner } from 'typeorm';

export class IndexStudentRewardsByStatus1796150000000 implements MigrationInterface {
  name = 'IndexStudentRewardsByStatus1796150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- The admin review list pages by status in (decided_at, reward_id) order.
      CREATE INDEX student_rewards_status_decided
        ON student_rewards (status, decided_at, reward_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX student_rewards_status_decided;`);
  }
}
