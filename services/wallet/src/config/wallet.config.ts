import { DataServiceConfig } from '@rewards/service-kit';

export class WalletConfig extends DataServiceConfig {
  override PORT = 3003;
}
