import { DataServiceConfig } from '@rewards/service-kit';
import { Matches } from 'class-validator';

export class ReferralsConfig extends DataServiceConfig {
  override PORT = 3002;

  /** Public origin of share links: `${PUBLIC_BASE_URL}/r/{code}`. */
  @Matches(/^https?:\/\/[^/]+$/, {
    message: 'PUBLIC_BASE_URL must be an origin like https://example.com',
  })
  PUBLIC_BASE_URL: string = 'http://127.0.0.1:3000';
}
