import { ROLES, type Role } from '@rewards/service-kit';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

export class DevTokenRequest {
  @IsIn(ROLES)
  role!: Role;

  /** The user to sign in as; a fresh random id when absent. */
  @IsOptional()
  @IsUUID()
  userId?: string;

  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(86_400)
  ttlSeconds?: number;
}

export interface DevTokenResponse {
  token: string;
  userId: string;
  roles: Role[];
  expiresAt: string;
}
