import { MESSAGING_TABLES_V2_DOWN, MESSAGING_TABLES_V2_UP } from '@rewards/messaging';
import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddMessagingReplayAndDeadLetters1796080000000 implements MigrationInterface {
  name = 'AddMessagingReplayAndDeadLetters1796080000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(MESSAGING_TABLES_V2_UP);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(MESSAGING_TABLES_V2_DOWN);
  }
}
