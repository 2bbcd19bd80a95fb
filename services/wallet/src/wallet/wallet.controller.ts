import { Controller, Get } from '@nestjs/common';
import { Caller, CallerIdentity } from '@rewards/service-kit';
import { WalletStatement, WalletStatementView } from './wallet-statement';

@Controller('wallet')
export class WalletController {
  constructor(private readonly statement: WalletStatement) {}

  @Get('me')
  async me(@Caller() caller: CallerIdentity): Promise<WalletStatementView> {
    return this.statement.forOwner(caller.userId);
  }
}
