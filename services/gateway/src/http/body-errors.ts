import type { MappedError } from '@rewards/service-kit';

// body-parser (under express.json, 100kb by default) reports refusals as plain errors with a
// `type`; ErrorFilter alone would call every one of them invalid JSON. Invalid JSON itself never
// gets here as such: Nest turns it into a BadRequestException, which ErrorFilter already maps.
const BODY_REFUSALS = new Map<string, MappedError>([
  [
    'entity.too.large',
    { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than 100kb' },
  ],
  [
    'charset.unsupported',
    { status: 415, code: 'MALFORMED_REQUEST', message: 'request body must be UTF-8' },
  ],
  [
    'encoding.unsupported',
    { status: 415, code: 'MALFORMED_REQUEST', message: 'request body encoding is not supported' },
  ],
]);

/** Maps body-parser refusals to their code and real status; nothing else. */
export function mapBodyParserError(err: unknown): MappedError | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err)) return undefined;
  const { type } = err;
  return typeof type === 'string' ? BODY_REFUSALS.get(type) : undefined;
}
