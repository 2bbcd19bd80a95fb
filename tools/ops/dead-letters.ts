// Operator command for dead letters: lists a service's dead letters with their reasons, and
// re-publishes chosen ones to their original topic once the cause is fixed (the consumer's inbox
// still applies each at most once).
//
//   npm run dead-letters -- list <service> [--all]
//   npm run dead-letters -- replay <service> <id> [<id> ...]
//
// Reads DATABASE_URL (the service's own role, or an admin connection) and KAFKA_BROKERS;
// DATABASE_SCHEMA defaults to the service's name.
import { DeadLetter, DeadLetters, KafkaJsMessageBus } from '@rewards/messaging';
import { DataSource } from 'typeorm';

const SERVICES = ['bookings', 'referrals', 'wallet', 'payouts'];
const USAGE = [
  'usage: dead-letters list <service> [--all]',
  '       dead-letters replay <service> <id> [<id> ...]',
  `services: ${SERVICES.join(', ')}; needs DATABASE_URL and KAFKA_BROKERS`,
].join('\n');

export function formatDeadLetter(d: DeadLetter): string {
  const state = d.replayedAt ? `replayed ${d.replayedAt.toISOString()}` : 'open';
  return [
    `${d.id}  ${d.topic}[${d.partition}]@${d.offset}  ${d.failedAt.toISOString()}  ${state}`,
    `  message ${d.messageId ?? '(no id)'} key ${d.messageKey ?? '(none)'} attempts ${d.attempts}`,
    `  reason: ${d.reason}`,
  ].join('\n');
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set\n${USAGE}`);
  return value;
}

async function main(argv: string[]): Promise<number> {
  const [command, service, ...rest] = argv;
  if (
    !command ||
    !service ||
    !SERVICES.includes(service) ||
    !['list', 'replay'].includes(command)
  ) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (command === 'replay' && rest.length === 0) {
    process.stderr.write(`replay needs at least one dead letter id\n${USAGE}\n`);
    return 2;
  }
  const schema = process.env.DATABASE_SCHEMA || service;
  const dataSource = new DataSource({
    type: 'postgres',
    url: required('DATABASE_URL'),
    schema,
    extra: { options: `-c search_path=${schema}` },
  });
  const bus = new KafkaJsMessageBus({
    brokers: required('KAFKA_BROKERS').split(','),
    clientId: `${service}-dead-letters`,
  });
  await dataSource.initialize();
  try {
    const letters = new DeadLetters(dataSource, bus, service);
    if (command === 'list') {
      const found = await letters.list({ includeReplayed: rest.includes('--all') });
      for (const d of found) process.stdout.write(`${formatDeadLetter(d)}\n`);
      process.stdout.write(`${found.length} dead letter(s) of ${service}\n`);
      return 0;
    }
    const replayed = await letters.replay(rest);
    for (const id of rest) {
      process.stdout.write(
        `${id}  ${replayed.includes(id) ? 'replayed' : 'skipped (unknown or already replayed)'}\n`,
      );
    }
    return replayed.length === rest.length ? 0 : 1;
  } finally {
    await bus.close();
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`dead-letters: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
