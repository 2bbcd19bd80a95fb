import { Controller, Get } from '@nestjs/common';
import { Caller, CallerIdentity, PlatformError } from '@rewards/service-kit';
import { WalletStatement, WalletStatementView } from './wallet-statement';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Controller('wallet')
export class WalletController {
  constructor(private readonly statement: WalletStatement) {}

  @Get('me')
  async me(@Caller() caller: CallerIdentity): Promise<WalletStatementView> {
    // Wallet owners are user ids (UUIDs); anything else is a gateway bug, not an empty wallet.
    if (!UUID.test(caller.userId)) {
      throw new PlatformError('UNAUTHENTICATED', 'the caller id is not a user id');
    }
    return this.statement.forOwner(caller.userId);
  }
}
