import {
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';
import { ATTRIBUTION_MODELS, AttributionModel } from '../../clicks/attribution-settings';
import { VelocityLimit } from '../../student-program/student-program-settings';

/** A partial change of the program configuration; `reason` goes to the audit trail. */
export class UpdateProgramConfigDto {
  @IsString()
  @Length(3, 500)
  reason!: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  referrerRewardCents?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  refereeDiscountCents?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  lessonMinimumCents?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(365)
  holdDays?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(120)
  creditLifetimeMonths?: number;

  @IsOptional()
  @IsString()
  phase?: string;

  @IsOptional()
  @IsObject()
  phaseCaps?: Record<string, number>;

  @IsOptional()
  @IsArray()
  velocityLimits?: VelocityLimit[];

  @IsOptional()
  @IsInt()
  @Min(2)
  @Max(100)
  householdReviewThreshold?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  reviewExpiryDays?: number;

  @IsOptional()
  @IsIn(ATTRIBUTION_MODELS)
  attributionModel?: AttributionModel;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(365)
  attributionWindowDays?: number;

  @IsOptional()
  @IsString()
  @Length(10, 2000)
  ftcDisclosure?: string;

  /** {"enabled", "amountCents", "lessons", "windowDays"}: the instructor fee rebate. */
  @IsOptional()
  @IsObject()
  feeRebate?: Record<string, unknown>;
}
