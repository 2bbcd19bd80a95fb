import { array, dateTime, int, object, str, uuid, type JsonSchema } from '../json-schema';

/** The error body, dev tokens, money and the bare acknowledgement. */
export const PLATFORM_SCHEMAS: Record<string, JsonSchema> = {
  Money: object({ amountCents: int('integer cents'), currency: str({ pattern: '^[A-Z]{3}$' }) }),
  ApiError: object({
    error: object(
      {
        code: str({ description: 'stable machine code, e.g. VALIDATION_FAILED' }),
        message: str({ description: 'why, for a developer; not for end users' }),
        field: str({ description: 'the request field at fault (VALIDATION_FAILED)' }),
        details: { type: 'object', properties: {}, description: 'code-specific facts' },
        requestId: str({ description: 'also the x-request-id header' }),
      },
      ['field', 'details'],
    ),
  }),
  DevTokenRequest: object(
    {
      role: str({ enum: ['student', 'instructor', 'admin'] }),
      userId: uuid,
      ttlSeconds: { type: 'integer', minimum: 60, maximum: 86_400 },
    },
    ['userId', 'ttlSeconds'],
  ),
  DevToken: object({
    token: str(),
    userId: uuid,
    roles: array(str({ enum: ['student', 'instructor', 'admin'] })),
    expiresAt: dateTime,
  }),
  Acknowledged: { type: 'object', properties: {}, description: 'the webhook was accepted' },
};
