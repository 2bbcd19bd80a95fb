/**
 * What bookings and the wallet agree on about the wallet's internal API, beside its DTOs: limits
 * the caller must keep to and the wallet refuses past.
 */

/** The most references one `POST /internal/reservations/capture` may carry. */
export const MAX_CAPTURE_BATCH = 100;
